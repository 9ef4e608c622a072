-- One row per UTC day from the first to the last day with events, with or without events: join a
-- daily mart to it so days without activity show as zero instead of vanishing.
with bounds as (
    select min(occurred_on) as first_day, max(occurred_on) as last_day from {{ ref('stg_box__events') }}
),

days as (
    {{ day_spine('(select first_day from bounds)', '(select last_day from bounds)') }}
)

select
    days.day,
    extract(year from days.day) as year,
    extract(month from days.day) as month,
    {{ iso_day_of_week('days.day') }} as iso_day_of_week,
    {{ iso_day_of_week('days.day') }} in (6, 7) as is_weekend,
    coalesce(counts.events, 0) as events
from days
left join (
    select occurred_on, count(*) as events from {{ ref('stg_box__events') }} group by occurred_on
) as counts on counts.occurred_on = days.day
