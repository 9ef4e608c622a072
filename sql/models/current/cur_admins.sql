-- Who is an admin or co-admin now: users whose newest admin role change made them one, and who have
-- not been deleted since.
select user_id, login, name, admin_role_now as admin_role, last_active_at
from {{ ref('dim_users') }}
where is_admin_now
