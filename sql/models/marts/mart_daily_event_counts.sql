-- Events per UTC day, category and event type: the backbone of activity dashboards.
{{ config(**day_local_incremental()) }}
select
    occurred_on,
    category,
    event_type,
    severity,
    count(*) as events,
    count(distinct actor_id) as actors,
    count(case when actor_is_anonymous then 1 end) as anonymous_events,
    count(case when actor_is_external then 1 end) as external_actor_events,
    max(_dlt_load_id) as _dlt_load_id
from {{ ref('stg_box__events') }}
where true {{- only_touched_days() }}
group by occurred_on, category, event_type, severity
