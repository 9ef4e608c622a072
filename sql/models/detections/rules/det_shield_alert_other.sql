{%- set t = detection_rule(
    title='Shield: other alert',
    severity='high',
    tactic='Initial Access',
    technique='T1078',
    technique_name='Valid Accounts',
    false_positives='Depends on the category (Box adds categories, e.g. Ransomware Activity with Shield Pro): read the alert\'s description.',
    runbook='Open the alert (link in the event), read its category and description and triage it as its category suggests; if it is a category that recurs, ask for a dedicated rule.',
    thresholds={'high_risk': 80, 'medium_risk': 50},
    covers=['SHIELD_ALERT'],
    references=['Panther: Box Shield Suspicious Alert Triggered'],
) -%}
-- A Box Shield alert of any category the other shield rules do not take (Ransomware Activity, a
-- category Box adds later, or none), at a severity from its risk score. With shield_anomalous_download
-- (Anomalous Download), shield_suspicious_login (Suspicious Locations, Suspicious Sessions) and
-- shield_malicious_content (Malicious Content) every SHIELD_ALERT is found exactly once: keep the
-- list below the union of theirs. This rule carries `covers` for SHIELD_ALERT for all four.
{%- set taken = ['Anomalous Download', 'Suspicious Locations', 'Suspicious Sessions', 'Malicious Content'] %}
{%- set severity -%}
    {{ severity_by_score('shield_risk_score', t.high_risk, t.medium_risk) }}
{%- endset %}
select
{% call event_finding(t, subject='subject_user_login', severity=severity, actor_id='subject_user_id', actor_login='subject_user_login') %}
    'Shield: ' || {{ label('shield_rule_category', 'uncategorised') }} || ' alert'
    || coalesce(' (' || shield_rule_name || ')', '') || ' for '
    || {{ label('subject_user_login', 'an unknown user') }}
    || ' (risk ' || {{ label('shield_risk_score') }} || ')'
    || coalesce(': ' || shield_alert_description, '')
{%- endcall %}
from {{ ref('audit_security') }}
where
    event_type = 'SHIELD_ALERT'
    and not {{ in_list('shield_rule_category', taken) }}
