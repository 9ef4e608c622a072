-- Failed-login burst (brute force or credential stuffing): 5 or more failed logins for one user
-- within one clock hour (UTC). Normal use stays at 2 or fewer a day.
-- One finding per user and day, carrying all of that day's failed logins for the user.
{{ config(materialized='view') }}
with failures as (
    select *
    from {{ ref('audit_authentication') }}
    where event_type = 'FAILED_LOGIN'
),

peaks as (
    select occurred_on, actor_id, max(failures_in_hour) as peak_hour_failures
    from (
        select occurred_on, actor_id, count(*) as failures_in_hour
        from failures
        group by occurred_on, actor_id, {{ utc_hour('occurred_at') }}
    ) as hourly
    group by occurred_on, actor_id
    having max(failures_in_hour) >= 5
)

select
    'failed_login_burst' as detection,
    'medium' as severity,
    f.occurred_on,
    min(f.occurred_at) as first_seen_at,
    max(f.occurred_at) as last_seen_at,
    f.actor_id,
    max(f.actor_login) as actor_login,
    cast(count(distinct f.ip_address) as {{ text_type() }})
    || case when count(distinct f.ip_address) = 1 then ' source IP' else ' source IPs' end as subject,
    count(*) as event_count,
    {{ id_list('f.event_id') }} as event_ids,
    cast(count(*) as {{ text_type() }}) || ' failed logins for ' || coalesce(max(f.actor_login), f.actor_id) || ', '
    || cast(p.peak_hour_failures as {{ text_type() }}) || ' within one hour' as summary,
    max(f._dlt_load_id) as _dlt_load_id
from failures as f
inner join peaks as p on p.occurred_on = f.occurred_on and p.actor_id = f.actor_id
group by f.occurred_on, f.actor_id, p.peak_hour_failures
