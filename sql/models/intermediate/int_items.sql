-- One row per file, folder or web link: the newest name, type, parent and owner seen (by the newest
-- event about it), and the first and last time it was seen. Incremental by combining: a load's events
-- are summarised per item and merged with the row already held (newest wins, first and last widen),
-- so a sync costs what it brought, not the item's whole history. `dim_items` adds the link state.
{{ config(**per_key_incremental('item_id')) }}
{% set newest = ['item_type', 'item_name', 'parent_folder_id', 'parent_folder_name', 'owner_id', 'owner_login'] %}
with new_sightings as (
    select item_id, {{ newest | join(', ') }}, occurred_at, event_id, _dlt_load_id
    from {{ ref('stg_box__events') }}
    where item_id is not null and item_type in ('file', 'folder', 'web_link')
        {{- only_new_loads() }}
),

ranked as (
    select *, row_number() over (partition by item_id order by occurred_at desc, event_id desc) as rank
    from new_sightings
),

batch as (
    select r.item_id, {% for c in newest %}r.{{ c }}, {% endfor %}
        r.occurred_at as last_seen_at, r.event_id as last_event_id, a.first_seen_at, a._dlt_load_id
    from ranked as r
    inner join (
        select item_id, min(occurred_at) as first_seen_at, max(_dlt_load_id) as _dlt_load_id
        from new_sightings group by item_id
    ) as a on a.item_id = r.item_id
    where r.rank = 1
)

{% if is_incremental() %}
select
    b.item_id,
    {%- for c in newest %}
    case when {{ is_newer('b.last_seen_at', 'b.last_event_id', 'o.last_seen_at', 'o.last_event_id') }}
        then b.{{ c }} else o.{{ c }} end as {{ c }},
    {%- endfor %}
    case when {{ is_newer('b.last_seen_at', 'b.last_event_id', 'o.last_seen_at', 'o.last_event_id') }}
        then b.last_seen_at else o.last_seen_at end as last_seen_at,
    case when {{ is_newer('b.last_seen_at', 'b.last_event_id', 'o.last_seen_at', 'o.last_event_id') }}
        then b.last_event_id else o.last_event_id end as last_event_id,
    case when o.first_seen_at is null or b.first_seen_at < o.first_seen_at
        then b.first_seen_at else o.first_seen_at end as first_seen_at,
    b._dlt_load_id
from batch as b
left join {{ this }} as o on o.item_id = b.item_id
{% else %}
select * from batch
{% endif %}
