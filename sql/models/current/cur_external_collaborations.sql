-- Collaborations of people outside the company as they are now: one row per item and external
-- collaborator whose newest collaboration event left them with access (invited, accepted, role
-- changed), not removed or expired since; the role is the newest the events carry.
with events as (
    select item_id, item_type, item_name, owner_login, collaborator_id, collaborator_login,
        collaborator_name, collaborator_domain, collaborator_role, expires_at, event_type, actor_login,
        occurred_at, event_id,
        row_number() over (
            partition by item_id, collaborator_id order by occurred_at desc, event_id desc
        ) as rank
    from {{ ref('audit_collaboration') }}
    where collaborator_is_external and item_id is not null and collaborator_id is not null
),

newest_role as (
    select item_id, collaborator_id, collaborator_role,
        row_number() over (
            partition by item_id, collaborator_id order by occurred_at desc, event_id desc
        ) as rank
    from events
    where collaborator_role is not null
)

select
    e.item_id,
    e.item_type,
    e.item_name,
    e.owner_login,
    e.collaborator_id,
    e.collaborator_login,
    e.collaborator_name,
    e.collaborator_domain,
    r.collaborator_role,
    e.expires_at,
    e.actor_login as last_changed_by,
    e.occurred_at as last_changed_at
from events as e
left join newest_role as r
    on r.item_id = e.item_id and r.collaborator_id = e.collaborator_id and r.rank = 1
where e.rank = 1
    and e.event_type not in ('COLLABORATION_REMOVE', 'COLLABORATION_EXPIRATION', 'COLLAB_REMOVE_COLLABORATOR')
    and (e.expires_at is null or e.expires_at > {{ now_utc() }})
