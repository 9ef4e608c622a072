-- Users and groups: users created, edited, deleted, admin roles granted or taken away, email
-- aliases, Box support access, groups and their members.
-- For user events the target user is the event's item; for group events the item is the group.
-- materialized: incremental
select
    e.*,
    case when e.item_type = 'user' then e.item_id end as target_user_id,
    case when e.item_type = 'user' then e.item_login end as target_user_login,
    case when e.item_type = 'group' then e.item_id end as group_id,
    case when e.item_type = 'group' then e.item_name end as group_name,
    e.additional_details ->> '$.old_role' as previous_admin_role,
    e.additional_details ->> '$.new_role' as new_admin_role,
    e.additional_details ->> '$.user_id' as group_member_id,
    e.additional_details ->> '$.user_login' as group_member_login
from stg_box__events as e
where e.category = 'users_and_groups'
