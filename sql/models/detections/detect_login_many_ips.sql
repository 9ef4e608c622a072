-- Logins from many places: one user logs in from 5 or more distinct IP addresses in a UTC day
-- (session hijacking, shared credentials, impossible travel). Normal use: 2 or fewer.
{{ config(materialized='view') }}
select
    'login_many_ips' as detection,
    'medium' as severity,
    occurred_on,
    min(occurred_at) as first_seen_at,
    max(occurred_at) as last_seen_at,
    actor_id,
    max(actor_login) as actor_login,
    cast(count(distinct ip_address) as {{ text_type() }}) || ' distinct IPs' as subject,
    count(*) as event_count,
    {{ id_list('event_id') }} as event_ids,
    coalesce(max(actor_login), actor_id) || ' logged in from ' || cast(count(distinct ip_address) as {{ text_type() }})
    || ' IP addresses in one day' as summary,
    max(_dlt_load_id) as _dlt_load_id
from {{ ref('audit_authentication') }}
where event_type = 'LOGIN' and not actor_is_anonymous
group by occurred_on, actor_id
having count(distinct ip_address) >= 5
