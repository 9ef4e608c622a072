{%- set t = detection_rule(
    title='Abnormal user activity',
    severity='medium',
    tactic='Collection',
    technique='T1530',
    technique_name='Data from Cloud Storage',
    false_positives='A quarter-end close, a big upload of a new project; a user back from leave catching up.',
    runbook='Compare the day with the user\'s usual days (summary) and look at what dominated it (event types, items); confirm with the user, and treat unexplained spikes in downloads or sharing as possible exfiltration.',
    thresholds={'multiplier': 5, 'min_events': 300, 'baseline_days': 14, 'min_baseline_days': 7},
    references=['Sentinel: Box - Abnormal user activity (fixed: it flagged users below their average)'],
) -%}
-- A user's day holds far more events than their usual day: at least `multiplier` times the average
-- of their previous `baseline_days` active days, and at least `min_events`, once they have
-- `min_baseline_days` such days. Sentinel's rule flagged users *below* their average; this one
-- flags them above it. Service accounts are left out.
with days as (
    select
        d.*,
        avg(d.events) over (
            partition by d.actor_id order by d.occurred_on rows between {{ t.baseline_days }} preceding and 1 preceding
        ) as usual_events,
        count(*) over (
            partition by d.actor_id order by d.occurred_on rows between {{ t.baseline_days }} preceding and 1 preceding
        ) as usual_days
    from {{ ref('mart_user_daily_activity') }} as d
    where not d.actor_is_anonymous and not {{ is_service_account('d.actor_login') }}
),

abnormal as (
    select *
    from days
    where
        usual_days >= {{ t.min_baseline_days }}
        and events >= {{ t.min_events }}
        and events >= {{ t.multiplier }} * usual_events
)

select
    a.occurred_on,
    a.first_event_at as first_seen_at,
    a.last_event_at as last_seen_at,
    '{{ t.rule.severity }}' as severity,
    a.actor_id as entity,
    a.actor_id,
    a.actor_login,
    {{ counted('a.events', 'event') }} as subject,
    a.events as event_count,
    {{ id_list('e.event_id') }} as event_ids,
    {{ label('a.actor_login', 'a user') }} || ' did ' || {{ counted('a.events', 'action') }} || ', '
    || cast(cast(a.events / a.usual_events as bigint) as {{ text_type() }}) || ' times their usual '
    || cast(cast(a.usual_events as bigint) as {{ text_type() }}) || ' a day' as summary,
    a._dlt_load_id
from abnormal as a
inner join {{ ref('stg_box__events') }} as e on e.actor_id = a.actor_id and e.occurred_on = a.occurred_on
group by
    a.occurred_on, a.first_event_at, a.last_event_at, a.actor_id, a.actor_login, a.events, a.usual_events, a._dlt_load_id
