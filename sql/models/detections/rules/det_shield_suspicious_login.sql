{%- set t = detection_rule(
    title='Shield: suspicious login or session',
    severity='high',
    tactic='Initial Access',
    technique='T1078',
    technique_name='Valid Accounts',
    false_positives='Travel, a new VPN exit or mobile carrier, a user agent updated overnight; two devices of one user on distant networks (a "faster than possible" journey).',
    runbook='Open the alert (link in the event) and check the location and session against the user\'s travel and devices; ask the user (actor); if not theirs, reset the password, revoke sessions and app tokens, require 2FA, and review what the session did.',
    thresholds={'high_risk': 80, 'medium_risk': 50},
    references=['Panther: Box Shield Suspicious Alert Triggered'],
) -%}
-- A Box Shield "Suspicious Locations" or "Suspicious Sessions" alert, about the user it names (not
-- Box's anonymous creator), at a severity from the risk score (`high_risk`, `medium_risk`, else low).
{%- set severity -%}
    {{ severity_by_score('shield_risk_score', t.high_risk, t.medium_risk) }}
{%- endset %}
select
{% call event_finding(t, subject='subject_user_login', severity=severity, actor_id='subject_user_id', actor_login='subject_user_login') %}
    'Shield: ' || lower({{ label('shield_rule_category', 'suspicious activity') }}) || ' for '
    || {{ label('subject_user_login', 'an unknown user') }}
    || coalesce(' from ' || shield_ip_country || coalesce(' (' || shield_ip_city || ')', ''), '')
    || coalesce(', IP ' || shield_ip_address, '')
    || ' (risk ' || {{ label('shield_risk_score') }} || ')'
{%- endcall %}
from {{ ref('audit_security') }}
where
    event_type = 'SHIELD_ALERT'
    and {{ in_list('shield_rule_category', ['Suspicious Locations', 'Suspicious Sessions']) }}
