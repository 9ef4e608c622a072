{%- set t = detection_rule(
    title='Logins from many networks in one day',
    severity='medium',
    tactic='Initial Access',
    technique='T1078',
    technique_name='Valid Accounts',
    false_positives='A traveller on hotel, airport and mobile networks in one day; an admin hopping between office, home and VPN (below the default of 5 networks).',
    runbook='Look at the networks and their order (event_ids); impossible travel or a hosting provider among them means shared or stolen credentials: reset the password and end the sessions.',
    thresholds={'networks': 5},
    references=['Sentinel: Box - Abnormal user activity (related)'],
) -%}
-- One user signs in from many networks in one UTC day. Counted per network (IPv4 /16, IPv6 /32),
-- not per address, so a mobile user whose address changes inside their carrier's block is not a
-- finding. Trusted ranges are left out.
with logins as (
    select *, {{ ip_network('ip_address') }} as network
    from {{ ref('audit_authentication') }}
    where
        event_type = 'LOGIN'
        and not actor_is_anonymous
        and ip_address is not null
        and not {{ is_trusted_ip('ip_address') }}
)

select
{% call grouped_finding(t, entity='actor_id', subject=counted('count(distinct network)', 'network')) %}
    {{ label('max(actor_login)', 'a user') }} || ' logged in from ' || {{ counted('count(distinct network)', 'network') }}
    || ' (' || {{ counted('count(distinct ip_address)', 'address', 'addresses') }} || ') in one day'
{%- endcall %}
from logins
group by occurred_on, actor_id
having count(distinct network) >= {{ t.networks }}
