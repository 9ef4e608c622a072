{%- set t = detection_rule(
    title='Shield: anomalous download',
    severity='high',
    tactic='Collection',
    technique='T1530',
    technique_name='Data from Cloud Storage',
    false_positives='A user starting a project that needs a large set of files, a new laptop being synced, an end-of-quarter export; Shield compares with the user\'s own past weeks, so a first busy week after a quiet one also alerts.',
    runbook='Open the alert (its link is in the event) and check the downloaded items and IPs; ask the user (actor); if unexplained or the IPs are foreign, suspend the user, revoke sessions, and review sharing and external collaborations of what was downloaded.',
    thresholds={'high_risk': 80, 'medium_risk': 50},
    references=['Panther: Box Shield Anomalous Download Activity'],
) -%}
-- A Box Shield "Anomalous Download" alert. Box creates the alert (its actor is the anonymous user):
-- the finding's actor is the user the alert is about. The severity follows Shield's risk score:
-- `high_risk` and above high, `medium_risk` and above medium, below that low (still a finding: every
-- Shield alert is one, of exactly one of the shield_* rules).
{%- set severity -%}
    {{ severity_by_score('shield_risk_score', t.high_risk, t.medium_risk) }}
{%- endset %}
select
{% call event_finding(t, subject='subject_user_login', severity=severity, actor_id='subject_user_id', actor_login='subject_user_login') %}
    'Shield: anomalous download by ' || {{ label('subject_user_login', 'an unknown user') }}
    || ' (risk ' || {{ label('shield_risk_score') }} || ')'
    || coalesce(', ' || {{ json_text('additional_details', 'shield_alert.alert_summary.download_delta_size') }} || ' more than usual', '')
    || coalesce(': ' || shield_alert_description, '')
{%- endcall %}
from {{ ref('audit_security') }}
where
    event_type = 'SHIELD_ALERT'
    and {{ in_list('shield_rule_category', ['Anomalous Download']) }}
