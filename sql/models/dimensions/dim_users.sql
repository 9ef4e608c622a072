-- One row per Box user seen in the events (`int_users`), with what follows from it: the login's
-- domain, whether it is external (company domains), the admin role now and whether the user is an
-- admin now and not deleted.
{{ config(materialized='view') }}
select
    u.user_id,
    u.login,
    u.name,
    {{ email_domain('u.login') }} as login_domain,
    {{ email_domain('u.login') }} is not null and c.domain is null as is_external,
    u.first_seen_at,
    u.last_seen_at,
    u.first_active_at,
    u.last_active_at,
    coalesce(u.admin_role, 'user') as admin_role_now,
    coalesce(u.admin_role in ('admin', 'coadmin'), false) and u.deleted_at is null as is_admin_now,
    u.created_at,
    u.deleted_at,
    u.deleted_at is not null as is_deleted
from {{ ref('int_users') }} as u
left join {{ ref('company_domains') }} as c on c.domain = {{ email_domain('u.login') }}
