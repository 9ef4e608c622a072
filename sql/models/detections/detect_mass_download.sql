-- Mass download: one user downloads 60 or more files within one clock hour (UTC).
-- Modelled on Panther's "Box Large Number of Downloads" (100 in a rolling hour). Clock hours keep
-- the rule day-local; a burst that straddles two hours still puts at least half of itself in
-- one, so 60 per clock hour catches any 120-in-an-hour burst. Normal use stays under 30.
-- One finding per user and day, carrying all of that day's downloads by the user.
-- Anonymous shared-link downloads are not one user; see `mart_anonymous_access`.
{{ config(materialized='view') }}
with downloads as (
    select *
    from {{ ref('audit_file_access') }}
    where event_type in ('DOWNLOAD', 'FILE_WATERMARKED_DOWNLOAD') and not actor_is_anonymous
),

peaks as (
    select occurred_on, actor_id, max(downloads_in_hour) as peak_hour_downloads
    from (
        select occurred_on, actor_id, count(*) as downloads_in_hour
        from downloads
        group by occurred_on, actor_id, {{ utc_hour('occurred_at') }}
    ) as hourly
    group by occurred_on, actor_id
    having max(downloads_in_hour) >= 60
)

select
    'mass_download' as detection,
    'high' as severity,
    d.occurred_on,
    min(d.occurred_at) as first_seen_at,
    max(d.occurred_at) as last_seen_at,
    d.actor_id,
    max(d.actor_login) as actor_login,
    cast(count(distinct d.item_id) as {{ text_type() }})
    || case when count(distinct d.item_id) = 1 then ' distinct item' else ' distinct items' end as subject,
    count(*) as event_count,
    {{ id_list('d.event_id') }} as event_ids,
    coalesce(max(d.actor_login), d.actor_id) || ' downloaded ' || cast(count(*) as {{ text_type() }}) || ' files, '
    || cast(p.peak_hour_downloads as {{ text_type() }}) || ' within one hour' as summary,
    max(d._dlt_load_id) as _dlt_load_id
from downloads as d
inner join peaks as p on p.occurred_on = d.occurred_on and p.actor_id = d.actor_id
group by d.occurred_on, d.actor_id, p.peak_hour_downloads
