-- The shared-link state of every item with sharing events: the newest values since its link was last
-- removed or expired (`is_shared`), or `is_shared` false when nothing happened since. Rebuilt for the
-- items a newer load touched, from their whole sharing history (a few rows each), so a sync costs
-- what it brought instead of ordering every sharing event of the history; `cur_shared_links` is a
-- view on it, which compares the expiry with the clock when it is read.
{{ config(**per_key_incremental('item_id')) }}
{% set closing = "('UNSHARE', 'SHARE_EXPIRATION', 'ITEM_SHARED_UNSHARE')" %}
with sharing as (
    select *
    from {{ ref('audit_sharing') }}
    where item_id is not null
        {{- only_touched_keys('item_id', 'select item_id from ' ~ ref('audit_sharing') ~ ' where _dlt_load_id > ' ~ built_through_load()) }}
),

last_closed as (
    select item_id, max(occurred_at) as closed_at
    from sharing
    where event_type in {{ closing }}
    group by item_id
),

since_opened as (
    select s.*
    from sharing as s
    left join last_closed as c on c.item_id = s.item_id
    where s.event_type not in {{ closing }}
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
),

items as (
    select item_id, max(_dlt_load_id) as _dlt_load_id from sharing group by item_id
)

select
    i.item_id,
    n.item_id is not null as is_shared,
    n.item_type,
    n.item_name,
    n.owner_login,
    n.actor_login as last_changed_by,
    n.occurred_at as last_changed_at,
    a.shared_link_access,
    e.shared_link_expires_at as expires_at,
    i._dlt_load_id
from items as i
left join newest as n on n.item_id = i.item_id and n.rank = 1
left join newest_access as a on a.item_id = i.item_id and a.rank = 1
left join newest_expiry as e on e.item_id = i.item_id and e.rank = 1
