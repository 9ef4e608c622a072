-- Shared links as they are now: one row per item whose link was created and not removed or expired
-- since. The access level and expiry are the newest the events carry (a later expiry change keeps
-- the access it does not mention); a link whose expiry has passed is not listed.
{% set closing = "('UNSHARE', 'SHARE_EXPIRATION', 'ITEM_SHARED_UNSHARE')" %}
with last_closed as (
    select item_id, max(occurred_at) as closed_at
    from {{ ref('audit_sharing') }}
    where event_type in {{ closing }}
    group by item_id
),

since_opened as (
    select s.*
    from {{ ref('audit_sharing') }} as s
    left join last_closed as c on c.item_id = s.item_id
    where s.item_id is not null
        and s.event_type not in {{ closing }}
        and (c.closed_at is null or s.occurred_at > c.closed_at)
),

newest as (
    select item_id, item_type, item_name, owner_login, actor_login, occurred_at, event_id,
        row_number() over (partition by item_id order by occurred_at desc, event_id desc) as rank
    from since_opened
),

newest_access as (
    select item_id, shared_link_access,
        row_number() over (partition by item_id order by occurred_at desc, event_id desc) as rank
    from since_opened
    where shared_link_access is not null
),

newest_expiry as (
    select item_id, shared_link_expires_at,
        row_number() over (partition by item_id order by occurred_at desc, event_id desc) as rank
    from since_opened
    where shared_link_expires_at is not null
)

select
    n.item_id,
    n.item_type,
    n.item_name,
    n.owner_login,
    n.actor_login as last_changed_by,
    n.occurred_at as last_changed_at,
    a.shared_link_access,
    coalesce(a.shared_link_access = 'open', false) as is_open_to_anyone,
    e.shared_link_expires_at as expires_at
from newest as n
left join newest_access as a on a.item_id = n.item_id and a.rank = 1
left join newest_expiry as e on e.item_id = n.item_id and e.rank = 1
where n.rank = 1
    and (e.shared_link_expires_at is null or e.shared_link_expires_at > {{ now_utc() }})
