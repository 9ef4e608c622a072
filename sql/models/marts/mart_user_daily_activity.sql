-- One row per user and UTC day: what each person did, from where, and how much.
-- Anonymous shared-link visitors (actor id 2) appear as one row per day.
{{ config(**day_local_incremental()) }}
select
    occurred_on,
    actor_id,
    max(actor_login) as actor_login,
    max(actor_name) as actor_name,
    {{ any_true('actor_is_anonymous') }} as actor_is_anonymous,
    {{ any_true('actor_is_external') }} as actor_is_external,
    count(*) as events,
    count(case when event_type = 'LOGIN' then 1 end) as logins,
    count(case when event_type = 'FAILED_LOGIN' then 1 end) as failed_logins,
    count(case when event_type in ('DOWNLOAD', 'FILE_WATERMARKED_DOWNLOAD') then 1 end)
        as downloads,
    count(case when event_type = 'PREVIEW' then 1 end) as previews,
    count(case when event_type in ('UPLOAD', 'EDIT') then 1 end) as uploads,
    count(case when event_type = 'DELETE' then 1 end) as deletes,
    count(case when category = 'sharing' then 1 end) as sharing_events,
    count(case when category = 'collaboration' then 1 end) as collaboration_events,
    count(distinct ip_address) as distinct_ip_addresses,
    count(distinct item_id) as distinct_items,
    min(occurred_at) as first_event_at,
    max(occurred_at) as last_event_at,
    max(_dlt_load_id) as _dlt_load_id
from {{ ref('stg_box__events') }}
where actor_id is not null {{- only_touched_days() }}
group by occurred_on, actor_id
