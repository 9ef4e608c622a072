-- A new admin: a user's admin role was raised (user -> co-admin or admin, co-admin -> admin).
-- The actor is whoever granted it; the subject is the user who received it.
{{ config(materialized='view') }}
select
    'new_admin' as detection,
    'high' as severity,
    occurred_on,
    occurred_at as first_seen_at,
    occurred_at as last_seen_at,
    actor_id,
    actor_login,
    target_user_login as subject,
    1 as event_count,
    event_id as event_ids,
    actor_login || ' made ' || coalesce(target_user_login, '?') || ' ' || new_admin_role
    || ' (was ' || coalesce(previous_admin_role, 'user') || ')' as summary,
    _dlt_load_id
from {{ ref('audit_users_and_groups') }}
where
    event_type = 'CHANGE_ADMIN_ROLE'
    and (case new_admin_role when 'admin' then 2 when 'coadmin' then 1 else 0 end)
    > (case previous_admin_role when 'admin' then 2 when 'coadmin' then 1 else 0 end)
