-- One row per UTC day from the first to the last day with events, with or without events: join a
-- daily mart to it so days without activity show as zero instead of vanishing.
-- The counts come from the daily mart (days x event types, rebuilt for every touched day), not from
-- staging: a sum over a few rows per day instead of a count over every event of the history.
with daily as (
    select occurred_on, cast(sum(events) as bigint) as events
    from {{ ref('mart_daily_event_counts') }}
    group by occurred_on
),

bounds as (
    select min(occurred_on) as first_day, max(occurred_on) as last_day from daily
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
    coalesce(daily.events, 0) as events
from days
left join daily on daily.occurred_on = days.day
