-- One row per file, folder or web link seen in the events: the newest name, parent folder and owner
-- seen, first and last activity, and its shared link now (access level and expiry, or none), from
-- `cur_shared_links`. Incremental by item: a load rebuilds the rows of the items it touched.
{{ config(**per_key_incremental('item_id')) }}
{% set touched = "select item_id from " ~ ref('stg_box__events') ~ " where _dlt_load_id > " ~ newest_seen_load() %}
with sightings as (
    select item_id, item_type, item_name, parent_folder_id, parent_folder_name, owner_id, owner_login,
        occurred_at, event_id, _dlt_load_id,
        row_number() over (partition by item_id order by occurred_at desc, event_id desc) as rank
    from {{ ref('stg_box__events') }}
    where item_id is not null and item_type in ('file', 'folder', 'web_link')
        {{- only_touched_keys('item_id', touched) }}
),

activity as (
    select item_id, min(occurred_at) as first_seen_at, max(occurred_at) as last_seen_at, count(*) as events,
        max(_dlt_load_id) as _dlt_load_id
    from sightings
    group by item_id
)

select
    s.item_id,
    s.item_type,
    s.item_name,
    s.parent_folder_id,
    s.parent_folder_name,
    s.owner_id,
    s.owner_login,
    a.first_seen_at,
    a.last_seen_at,
    a.events,
    links.shared_link_access as shared_link_access_now,
    links.expires_at as shared_link_expires_at,
    coalesce(links.is_open_to_anyone, false) as is_open_to_anyone_now,
    a._dlt_load_id
from sightings as s
inner join activity as a on a.item_id = s.item_id
left join {{ ref('cur_shared_links') }} as links on links.item_id = s.item_id
where s.rank = 1
