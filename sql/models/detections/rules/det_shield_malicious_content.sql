{%- set t = detection_rule(
    title='Shield: malicious content',
    severity='critical',
    tactic='Execution',
    technique='T1204.002',
    technique_name='User Execution: Malicious File',
    false_positives='A test file (EICAR) or a researcher\'s sample uploaded on purpose.',
    runbook='Quarantine the file (subject); find who opened, downloaded or synced it since the upload and check those devices with EDR; ask the uploader (actor) where it came from; look for the same hash elsewhere.',
    thresholds={'high_risk': 80},
    references=['Panther: Box Shield Suspicious Alert Triggered (Malicious Content)'],
) -%}
-- A Box Shield "Malicious Content" alert: a file the user uploaded carries malware. Critical at a risk
-- score of `high_risk` or more, high below it. The actor is the user the alert is about.
{%- set d = 'additional_details' %}
{%- set file_name = 'coalesce(' ~ json_text(d, 'shield_alert.alert_summary.malware_info.file_info.name') ~ ', '
    ~ json_text(d, 'shield_alert.alert_summary.upload_activity.item_name') ~ ')' %}
select
{% call event_finding(t, subject='coalesce(' ~ file_name ~ ', subject_user_login)',
                       severity='case when shield_risk_score >= ' ~ t.high_risk ~ " then 'critical' else 'high' end",
                       actor_id='subject_user_id', actor_login='subject_user_login') %}
    'Shield: malicious content ' || {{ label('shield_malware_name', '(malware not named)') }}
    || ' in ' || {{ label(file_name, 'a file') }}
    || ' uploaded by ' || {{ label('subject_user_login', 'an unknown user') }}
    || ' (risk ' || {{ label('shield_risk_score') }} || ')'
{%- endcall %}
from {{ ref('audit_security') }}
where
    event_type = 'SHIELD_ALERT'
    and {{ in_list('shield_rule_category', ['Malicious Content']) }}
