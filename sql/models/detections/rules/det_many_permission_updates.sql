{%- set t = detection_rule(
    title='Many permission changes',
    severity='medium',
    tactic='Defense Evasion',
    technique='T1222',
    technique_name='File and Directory Permissions Modification',
    false_positives='A reorganisation of a department\'s folders; a migration run by a person rather than a listed service account.',
    runbook='List the items and collaborators changed (event_ids); if the user did not plan it, revert the changes and check the account for compromise.',
    thresholds={'updates': 20, 'window_minutes': 60},
    references=['Panther: Box Many Permission Updates'],
) -%}
-- One user changes many permissions (collaboration roles, folder permissions, shared-link
-- settings) within a rolling window. Service accounts are left out.
with updates as (
    select *
    from {{ ref('stg_box__events') }}
    where
        event_type in ('COLLABORATION_ROLE_CHANGE', 'CHANGE_FOLDER_PERMISSION', 'ITEM_SHARED_UPDATE', 'COLLABORATION_REMOVE')
        and actor_id is not null
        and not actor_is_anonymous
        and not {{ is_service_account('actor_login') }}
)

{% call burst_findings(t, 'updates', 'actor_id', t.window_minutes, t.updates,
                       subject=counted('count(distinct item_id)', 'item')) -%}
    {{ label('max(actor_login)', 'a user') }} || ' changed permissions ' || {{ counted('count(*)', 'time') }}
    || ', ' || cast(max(burst_peak) as {{ text_type() }}) || ' within {{ t.window_minutes }} minutes'
{%- endcall %}
