{%- set t = detection_rule(
    title='Login by a dormant account',
    severity='medium',
    tactic='Initial Access',
    technique='T1078',
    technique_name='Valid Accounts',
    false_positives='A user back from a long leave; a seasonal contractor.',
    runbook='Confirm with the user or their manager that they are back; a dormant account that wakes up unannounced should be suspended and its recent actions reviewed.',
    thresholds={'inactive_days': 30},
    references=['Sentinel: Box - Inactive user login'],
    history=true,
) -%}
-- A user signs in after `inactive_days` or more without signing in. The first login the warehouse
-- holds for a user is not a finding (there is nothing to compare it with).
-- A history rule: the logins of the days from the first touched one on are ordered by user, and each
-- user's first of them meets the user's last login before those days, from the per-day summary
-- `int_login_days` (a full build has no older part and orders them all).
{%- set is_login = "event_type = 'LOGIN' and not actor_is_anonymous and actor_id is not null" %}
{%- set days = rebuilt_days() %}
with earlier as (
    select actor_id, max(last_second) as last_second
    from {{ ref('int_login_days') }}
    where {{ before_touched(days) }}
    group by actor_id
),

recent as (
    select
        *,
        {{ epoch_seconds('occurred_at') }} as at_second,
        lag({{ epoch_seconds('occurred_at') }}) over (partition by actor_id order by occurred_at, event_id) as previous_in_recent
    from {{ ref('audit_authentication') }}
    where {{ is_login }} and {{ since_touched(days) }}
),

logins as (
    select r.*, coalesce(r.previous_in_recent, e.last_second) as previous_second
    from recent as r
    left join earlier as e on e.actor_id = r.actor_id
)

select
{% call event_finding(t, subject='ip_address') %}
    {{ label('actor_login', 'a user') }} || ' logged in after '
    || cast(cast((at_second - previous_second) / 86400 as bigint) as {{ text_type() }}) || ' days without a login (from '
    || {{ label('ip_address', 'an unknown address') }} || ')'
{%- endcall %}
from logins
where previous_second is not null and at_second - previous_second >= {{ t.inactive_days * 86400 }}
    {{- only_touched_days(days=days) }}
