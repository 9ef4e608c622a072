{%- set t = detection_rule(
    title='Shared link opened to anyone',
    severity='low',
    tactic='Exfiltration',
    technique='T1567',
    technique_name='Exfiltration Over Web Service',
    false_positives='Marketing material and public documents meant for anyone.',
    runbook='Check what the item is (classification, folder); if it is not meant to be public, change the link to company or collaborators only and look at who downloaded it through the link (open_link_downloads, mart_anonymous_access).',
    thresholds={'sensitive_classifications': ['Confidential', 'Restricted']},
    references=['Panther: Box Item Shared Externally', 'Elastic: Box shared link events'],
) -%}
-- A shared link on an item was created or changed to "open" (anyone with the link, no login).
-- One finding per user, item and day: high when the item carries a sensitive classification (a
-- Confidential file open to anyone), low otherwise (open links are everyday sharing in many
-- companies; the finding keeps the record).
{%- set severity -%}
    case when {{ any_true(in_list('item_classification', t.sensitive_classifications)) }} then 'high'
        else {{ sql_text(t.rule.severity) }} end
{%- endset %}
select
{% call grouped_finding(t, entity="actor_id || '/' || coalesce(item_id, '?')", subject='max(item_name)', severity=severity) %}
    {{ label('max(actor_login)', 'someone') }} || ' opened a shared link on ' || {{ label('max(item_name)') }}
    || coalesce(' (' || max(item_classification) || ')', '') || ' to anyone'
{%- endcall %}
from {{ ref('audit_sharing') }}
where is_open_to_anyone and event_type in ('SHARE', 'ITEM_SHARED_CREATE', 'ITEM_SHARED_UPDATE', 'ITEM_SHARED')
group by occurred_on, actor_id, item_id
