{%- set t = detection_rule(
    title='Password spraying from one address',
    severity='high',
    tactic='Credential Access',
    technique='T1110.003',
    technique_name='Brute Force: Password Spraying',
    false_positives='A shared egress address (office NAT, VPN) on a morning after a forced password change: list it in trusted_ip_ranges.',
    runbook='Block the address at the edge; check whether any of the targeted users then logged in successfully from it (LOGIN with the same ip_address) and reset those passwords.',
    thresholds={'users': 10, 'window_minutes': 60},
    references=['Microsoft Entra: password spray detection (concept)'],
    history=true,
) -%}
{%- if t.window_minutes > 1440 -%}
  {{ exceptions.raise_compiler_error("password_spray: window_minutes is at most a day (1440), " ~ t.window_minutes ~ " given") }}
{%- endif -%}
{%- set days = rebuilt_days() %}
-- Failed logins for many different users from one address within a rolling window: one guess
-- against many accounts, which per-user counts never see. Trusted ranges are left out.
-- Rebuilt for the touched days (a table, not a view): a finding's failures start a window at most a
-- day before, so the failures of the day before the first rebuilt one are all it reads of the past;
-- as a view it joined every failure of the history with its neighbours on every sync.
with failures as (
    select
        event_id, occurred_at, occurred_on, ip_address, actor_id, actor_login, _dlt_load_id,
        {{ epoch_seconds('occurred_at') }} as at_second
    from {{ ref('audit_authentication') }}
    where
        event_type = 'FAILED_LOGIN'
        and ip_address is not null
        and not {{ is_trusted_ip('ip_address') }}
        and {{ since_touched(touched_days(findings_lookback_days() + 1)) }}
),

-- a window starts at each failure; it sprays when it holds failures for enough distinct users
spray_starts as (
    select f1.ip_address, f1.at_second as start_second
    from failures as f1
    inner join failures as f2
        on
            f2.ip_address = f1.ip_address
            and f2.at_second >= f1.at_second
            and f2.at_second < f1.at_second + {{ t.window_minutes * 60 }}
    group by f1.ip_address, f1.event_id, f1.at_second
    having count(distinct f2.actor_id) >= {{ t.users }}
),

sprayed as (
    select distinct f.event_id, f.occurred_at, f.occurred_on, f.ip_address, f.actor_id, f.actor_login, f._dlt_load_id
    from failures as f
    inner join spray_starts as s
        on s.ip_address = f.ip_address and f.at_second >= s.start_second and f.at_second < s.start_second + {{ t.window_minutes * 60 }}
)

select
{% call grouped_finding(t, entity='ip_address', subject='ip_address', actor_id='cast(null as ' ~ text_type() ~ ')',
                         actor_login='cast(null as ' ~ text_type() ~ ')') %}
    ip_address || ': failed logins for ' || {{ counted('count(distinct actor_id)', 'user') }}
    || ' (' || {{ counted('count(*)', 'attempt') }} || ')'
{%- endcall %}
from sprayed
where true {{- only_touched_days(days=days) }}
group by occurred_on, ip_address
