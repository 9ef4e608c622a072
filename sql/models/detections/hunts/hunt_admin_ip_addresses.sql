{%- set t = detection_rule(
    title='IP addresses admins use',
    severity='info',
    kind='hunt',
    tactic='Initial Access',
    technique='T1078.004',
    technique_name='Valid Accounts: Cloud Accounts',
    false_positives='Admins working from home or travelling, a new office or VPN egress not yet in trusted_ip_ranges, a mobile carrier changing the address inside its block (compare `ip_network`).',
    runbook='Look for an address that only one admin uses, that appears for the first time recently (first_seen_at), or that is not in the trusted ranges (is_trusted_ip); check the admin logins and actions from it with the admin, and if unexplained revoke the sessions and reset the credentials of the admins listed.',
    thresholds={
        'days': 30,
        'admin_event_types': admin_only_event_types(),
    },
    references=['Sentinel: Box - IP list for admin users', 'det_new_admin'],
) -%}
-- The addresses admins act from, one row per address, over the `days` days up to the newest event
-- loaded. An admin is a user who is an admin or co-admin now (cur_admins) or who ever performed an
-- event only an admin can (`admin_event_types`). Every event of theirs counts (logins, admin logins
-- into users' accounts, failed logins, any action), not only ADMIN_LOGIN: Sentinel's version listed
-- only ADMIN_LOGIN (an admin entering a managed user's account), keyed by the login, so an admin's
-- own logins and actions, and the addresses as the thing to look at, were missing.
with as_of as (
    select max(occurred_at) as as_of_at from {{ ref('stg_box__events') }}
),

admins as (
    -- (union all, then distinct: BigQuery has no bare UNION)
    select distinct actor_id
    from (
        select user_id as actor_id from {{ ref('cur_admins') }}
        union all
        select actor_id
        from {{ ref('stg_box__events') }}
        where
            {{ in_list('event_type', t.admin_event_types) }}
            and actor_id is not null
            and not actor_is_anonymous
    ) as a
),

admin_events as (
    select e.*
    from {{ ref('stg_box__events') }} as e
    inner join admins as a on a.actor_id = e.actor_id
    cross join as_of
    where
        e.ip_address is not null
        and {{ epoch_seconds('e.occurred_at') }} > {{ epoch_seconds('as_of.as_of_at') }} - {{ t.days * 86400 }}
),

per_admin as (
    select
        ip_address,
        actor_id,
        max(actor_login) as actor_login,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as event_count,
        sum(case when event_type in ('LOGIN', 'ADMIN_LOGIN') then 1 else 0 end) as login_count,
        sum(case when event_type = 'FAILED_LOGIN' then 1 else 0 end) as failed_login_count
    from admin_events
    group by ip_address, actor_id
)

select
    'ip:' || ip_address as entity,
    ip_address,
    {{ ip_network('ip_address') }} as ip_network,
    {{ is_trusted_ip('ip_address') }} as is_trusted_ip,
    count(*) as admin_count,
    {{ id_list(label('actor_login', 'unknown')) }} as admin_logins,
    sum(login_count) as login_count,
    sum(failed_login_count) as failed_login_count,
    min(first_seen_at) as first_seen_at,
    max(last_seen_at) as last_seen_at,
    sum(event_count) as event_count,
    ip_address || ': ' || {{ counted('count(*)', 'admin') }} || ' ('
    || {{ id_list(label('actor_login', 'unknown')) }} || '), '
    || {{ counted('sum(login_count)', 'login') }} || ', ' || {{ counted('sum(event_count)', 'event') }}
    || ' in {{ t.days }} days' as summary
from per_admin
group by ip_address
