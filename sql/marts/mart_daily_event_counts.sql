-- Events per UTC day, category and event type: the backbone of activity dashboards.
-- materialized: incremental
select
    occurred_on,
    category,
    event_type,
    severity,
    count(*) as events,
    count(distinct actor_id) as actors,
    count(case when actor_is_anonymous then 1 end) as anonymous_events,
    count(case when actor_is_external then 1 end) as external_actor_events
from stg_box__events
group by occurred_on, category, event_type, severity
