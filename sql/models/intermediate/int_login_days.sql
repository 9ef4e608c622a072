-- Each user's logins per UTC day and network (IPv4 /16, IPv6 /32; NULL for a login without an
-- address or from a trusted range, which the new-network rule does not count): how many, the first
-- and the last. The history rules (det_login_new_network, det_inactive_user_login) read it for the
-- days before the ones they rebuild, a few rows per user and day instead of every login of the
-- history. Rebuilt for the touched days; the days before the first touched one are complete.
{{ config(**day_local_incremental()) }}
with logins as (
    select
        occurred_on,
        actor_id,
        case when ip_address is not null and not {{ is_trusted_ip('ip_address') }} then {{ ip_network('ip_address') }} end
            as network,
        {{ epoch_seconds('occurred_at') }} as at_second,
        _dlt_load_id
    from {{ ref('audit_authentication') }}
    where event_type = 'LOGIN' and not actor_is_anonymous and actor_id is not null {{- only_touched_days() }}
)

select
    occurred_on,
    actor_id,
    network,
    count(*) as logins,
    min(at_second) as first_second,
    max(at_second) as last_second,
    max(_dlt_load_id) as _dlt_load_id
from logins
group by occurred_on, actor_id, network
