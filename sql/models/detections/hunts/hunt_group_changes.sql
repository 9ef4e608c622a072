{%- set t = detection_rule(
    title='Group changes',
    severity='info',
    kind='hunt',
    tactic='Persistence',
    technique='T1098',
    technique_name='Account Manipulation',
    false_positives='Group owners and admins maintaining their teams; identity-provider group sync (SCIM) running as a service account; re-organisations.',
    runbook='Check that the actor manages the group; a user added to a group that grants folders they did not have (group_folder_*), an actor adding themselves, or many groups changed by one actor in a short time needs the actor to explain it; revert unplanned memberships.',
    thresholds={'days': 30},
    references=['Sentinel: Box - New users (group changes)', 'det_new_admin'],
) -%}
-- Group changes (every GROUP_* event: groups created, edited and deleted, members added and removed,
-- folders given to or taken from a group, group admins) in the `days` days up to the newest event
-- loaded, one row per actor and group (entity: the actor's login), with the members added and
-- removed, the folders added and removed, and the other changes. The window is (newest - days,
-- newest]. Sentinel's version (filed, by a copy-paste slip, as "New users") listed GROUP_ADD_USER
-- only and named the added member as the account, so removals, new and deleted groups, folders given
-- to groups and who made the change were missing.
with as_of as (
    select max(occurred_at) as as_of_at from {{ ref('stg_box__events') }}
),

changes as (
    select g.*
    from {{ ref('audit_users_and_groups') }} as g
    cross join as_of
    where
        g.event_type like 'GROUP%'
        and {{ epoch_seconds('g.occurred_at') }} > {{ epoch_seconds('as_of.as_of_at') }} - {{ t.days * 86400 }}
)

select
    coalesce(actor_login, actor_id, 'unknown') as entity,
    actor_id,
    max(actor_login) as actor_login,
    group_id,
    max(group_name) as group_name,
    sum(case when event_type = 'GROUP_ADD_USER' then 1 else 0 end) as members_added,
    sum(case when event_type = 'GROUP_REMOVE_USER' then 1 else 0 end) as members_removed,
    {{ id_list("case when event_type = 'GROUP_ADD_USER' then coalesce(group_member_login, group_member_id) end") }}
        as added_members,
    {{ id_list("case when event_type = 'GROUP_REMOVE_USER' then coalesce(group_member_login, group_member_id) end") }}
        as removed_members,
    sum(case when event_type = 'GROUP_ADD_ITEM' then 1 else 0 end) as folders_added,
    sum(case when event_type = 'GROUP_REMOVE_ITEM' then 1 else 0 end) as folders_removed,
    sum(case when event_type = 'GROUP_CREATION' then 1 else 0 end) as created,
    sum(case when event_type = 'GROUP_DELETION' then 1 else 0 end) as deleted,
    sum(case when event_type not in ('GROUP_ADD_USER', 'GROUP_REMOVE_USER', 'GROUP_ADD_ITEM', 'GROUP_REMOVE_ITEM',
        'GROUP_CREATION', 'GROUP_DELETION') then 1 else 0 end) as other_changes,
    min(occurred_at) as first_seen_at,
    max(occurred_at) as last_seen_at,
    count(*) as event_count,
    {{ id_list('event_id') }} as event_ids,
    {{ label('max(actor_login)', 'Box') }} || ' changed group ' || coalesce(max(group_name), group_id, 'unknown')
    || ': ' || {{ counted("sum(case when event_type = 'GROUP_ADD_USER' then 1 else 0 end)", 'member') }} || ' added, '
    || {{ counted("sum(case when event_type = 'GROUP_REMOVE_USER' then 1 else 0 end)", 'member') }} || ' removed, '
    || {{ counted("count(*)", 'change') }} || ' in all' as summary
from changes
group by coalesce(actor_login, actor_id, 'unknown'), actor_id, group_id
