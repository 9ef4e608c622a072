{%- set t = detection_rule(
    title='Login from a new network',
    severity='low',
    tactic='Initial Access',
    technique='T1078',
    technique_name='Valid Accounts',
    false_positives='A new home internet provider, a trip, a new mobile carrier. Trusted ranges (office, VPN) never count as new.',
    runbook='Ask the user whether they travelled or changed provider; if not, and the country (from Shield, when known) is unusual, reset the password and end the sessions.',
    thresholds={'min_prior_logins': 5, 'baseline_days': 7},
    references=['Panther: Box New Login Device (related)'],
    history=true,
) -%}
-- A user signs in from a network (IPv4 /16, IPv6 /32) they never used before, once they have a
-- history (enough earlier logins over enough days) to compare with; the country comes from Box
-- Shield's ip_info when Shield has seen the address.
{%- set is_login = "event_type = 'LOGIN' and not actor_is_anonymous and actor_id is not null and ip_address is not null and not " ~ is_trusted_ip('ip_address') %}
{%- set days = rebuilt_days() %}
-- A history rule: the logins of the days from the first touched one on are ordered by user, and
-- each user's earlier logins are read from the per-day summary `int_login_days` (how many, the
-- first, the networks used): no sort of the whole history. A full build has no earlier part.
with earlier_users as (
    select actor_id, cast(sum(logins) as bigint) as logins, min(first_second) as first_second
    from {{ ref('int_login_days') }}
    where network is not null and {{ before_touched(days) }}
    group by actor_id
),

earlier_networks as (
    select distinct actor_id, network
    from {{ ref('int_login_days') }}
    where network is not null and {{ before_touched(days) }}
),

recent as (
    select *, {{ ip_network('ip_address') }} as network, {{ epoch_seconds('occurred_at') }} as at_second
    from {{ ref('audit_authentication') }}
    where {{ is_login }} and {{ since_touched(days) }}
),

ranked as (
    select
        l.*,
        row_number() over (partition by actor_id, network order by occurred_at, event_id) as nth_on_network,
        count(*) over (
            partition by actor_id order by occurred_at, event_id rows between unbounded preceding and 1 preceding
        ) as prior_recent_logins,
        min(at_second) over (partition by actor_id) as first_recent_second
    from recent as l
),

firsts as (
    select
        r.*,
        r.prior_recent_logins + coalesce(u.logins, 0) as prior_logins,
        coalesce(u.first_second, r.first_recent_second) as first_login_second
    from ranked as r
    left join earlier_users as u on u.actor_id = r.actor_id
    left join earlier_networks as n on n.actor_id = r.actor_id and n.network = r.network
    where r.nth_on_network = 1 and n.actor_id is null
),

shield_countries as (
    select shield_ip_address as ip_address, max(shield_ip_country) as country
    from {{ ref('audit_security') }}
    where shield_ip_address is not null and shield_ip_country is not null
    group by shield_ip_address
)

select
    r.occurred_on,
    r.occurred_at as first_seen_at,
    r.occurred_at as last_seen_at,
    '{{ t.rule.severity }}' as severity,
    r.event_id as entity,
    r.actor_id,
    r.actor_login,
    r.network as subject,
    1 as event_count,
    r.event_id as event_ids,
    {{ label('r.actor_login', 'a user') }} || ' logged in from a new network ' || r.network || ' (' || r.ip_address
    || coalesce(', ' || c.country, '') || ') after ' || {{ counted('r.prior_logins', 'earlier login') }} as summary,
    r._dlt_load_id
from firsts as r
left join shield_countries as c on c.ip_address = r.ip_address
where
    r.prior_logins >= {{ t.min_prior_logins }}
    and r.first_login_second <= r.at_second - {{ t.baseline_days * 86400 }}
    {{- only_touched_days('r.occurred_on', days=days) }}
