{%- set t = detection_rule(
    title='Many items deleted',
    severity='high',
    tactic='Impact',
    technique='T1485',
    technique_name='Data Destruction',
    false_positives='A clean-up of an old project folder; a user emptying a folder they own.',
    runbook='Check what was deleted (event_ids) and whether it is still in the trash; restore it if the user did not mean it, and check the account for compromise (ransomware and sabotage delete in bulk).',
    thresholds={'deletes': 50, 'window_minutes': 60},
    references=['Sentinel: Box - Many items deleted', 'Panther: Box mass deletion (related)'],
) -%}
-- One user moves many items to the trash or deletes them within a rolling window. Service accounts
-- (retention jobs) are left out.
with deletes as (
    select *
    from {{ ref('audit_content_changes') }}
    where
        event_type in ('DELETE', 'ITEM_TRASH')
        and actor_id is not null
        and not actor_is_anonymous
        and not {{ is_service_account('actor_login') }}
)

{% call burst_findings(t, 'deletes', 'actor_id', t.window_minutes, t.deletes,
                       subject=counted('count(distinct item_id)', 'item')) -%}
    {{ label('max(actor_login)', 'a user') }} || ' deleted ' || {{ counted('count(distinct item_id)', 'item') }}
    || ', ' || cast(max(burst_peak) as {{ text_type() }}) || ' within {{ t.window_minutes }} minutes'
{%- endcall %}
