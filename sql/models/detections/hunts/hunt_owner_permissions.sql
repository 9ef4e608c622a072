{%- set t = detection_rule(
    title='Users with owner permissions',
    severity='info',
    kind='hunt',
    tactic='Persistence',
    technique='T1098',
    technique_name='Account Manipulation',
    false_positives='Team leads made co-owners of their team folders; ownership handed over when someone leaves; admins who manage shared folders.',
    runbook='Review each holder: an external collaborator (collaborator_is_external) or an unexpected user who can co-own folders can add and remove collaborators, share and delete everything in them. Confirm with the folder owner (owner_login) and lower the role or remove the collaboration where it is not needed.',
    thresholds={'roles': ['owner', 'co-owner']},
    references=['Sentinel: Box - Users with owner permissions', 'cur_external_collaborations'],
) -%}
-- Who holds an Owner or Co-owner collaboration now (`roles`, any case), as of the newest event loaded:
-- one row per collaborator (entity: the login, or `group:<id>` for a group), with the items, the
-- roles and who granted them. A collaboration is an item and a collaborator; its role is the newest
-- role its events carry (invited, accepted, role changed), and it is held unless its newest event
-- removed it or it expired by the newest event. Sentinel's version listed role changes to Owner in
-- the last day only: invitations as Co-owner, and demotions and removals since, were missed.
with as_of as (
    select max(occurred_at) as as_of_at from {{ ref('stg_box__events') }}
),

events as (
    select
        c.*,
        row_number() over (
            partition by c.item_id, c.collaborator_id order by c.occurred_at desc, c.event_id desc
        ) as newest
    from {{ ref('audit_collaboration') }} as c
    where c.item_id is not null and c.collaborator_id is not null
),

roles as (
    select
        item_id, collaborator_id, collaborator_role, occurred_at as role_set_at, actor_login as granted_by,
        event_id as role_event_id,
        row_number() over (
            partition by item_id, collaborator_id order by occurred_at desc, event_id desc
        ) as newest
    from events
    where collaborator_role is not null and collaborator_role <> ''
),

held as (
    select
        e.item_id, e.item_type, e.item_name, e.owner_login, e.collaborator_id, e.collaborator_login,
        e.collaborator_name, e.collaborator_type, e.collaborator_is_external, e.expires_at,
        r.collaborator_role, r.role_set_at, r.granted_by, r.role_event_id
    from events as e
    inner join roles as r
        on r.item_id = e.item_id and r.collaborator_id = e.collaborator_id and r.newest = 1
    cross join as_of
    where
        e.newest = 1
        and e.event_type not in ('COLLABORATION_REMOVE', 'COLLABORATION_EXPIRATION', 'COLLAB_REMOVE_COLLABORATOR')
        and (e.expires_at is null or e.expires_at > as_of.as_of_at)
        and {{ in_list('r.collaborator_role', t.roles) }}
)

select
    case
        when coalesce(collaborator_type, 'user') = 'group' then 'group:' || collaborator_id
        else coalesce(collaborator_login, collaborator_id)
    end as entity,
    collaborator_id,
    max(collaborator_login) as collaborator_login,
    max(collaborator_name) as collaborator_name,
    max(coalesce(collaborator_type, 'user')) as collaborator_type,
    max(case when collaborator_is_external then 1 else 0 end) = 1 as collaborator_is_external,
    count(*) as item_count,
    sum(case when lower(collaborator_role) = 'owner' then 1 else 0 end) as owner_items,
    sum(case when lower(collaborator_role) <> 'owner' then 1 else 0 end) as co_owner_items,
    {{ id_list("coalesce(item_name, item_id) || ' (' || collaborator_role || ')'") }} as items,
    {{ id_list(label('granted_by', 'unknown')) }} as granted_by,
    min(role_set_at) as first_seen_at,
    max(role_set_at) as last_seen_at,
    {{ id_list('role_event_id') }} as event_ids,
    {{ label('max(coalesce(collaborator_login, collaborator_name, collaborator_id))', 'a collaborator') }}
    || case when max(case when collaborator_is_external then 1 else 0 end) = 1 then ' (external)' else '' end
    || ' holds ' || {{ counted('count(*)', 'owner or co-owner collaboration') }} || ': '
    || {{ id_list("coalesce(item_name, item_id) || ' (' || collaborator_role || ')'") }} as summary
from held
group by
    case
        when coalesce(collaborator_type, 'user') = 'group' then 'group:' || collaborator_id
        else coalesce(collaborator_login, collaborator_id)
    end,
    collaborator_id
