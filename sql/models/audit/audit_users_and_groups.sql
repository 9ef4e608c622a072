-- Users and groups: created, edited, deleted, admin role changes, group membership, folders granted to
-- groups (`group_folder_*`).
{% set d = 'e.additional_details' %}
{{ audit_table('users_and_groups', {
    'target_user_id': "case when e.item_type = 'user' then e.item_id end",
    'target_user_login': "case when e.item_type = 'user' then e.item_login end",
    'group_id': "case when e.item_type = 'group' then e.item_id end",
    'group_name': "case when e.item_type = 'group' then e.item_name end",
    'previous_admin_role': json_text(d, 'old_role'),
    'new_admin_role': json_text(d, 'new_role'),
    'group_member_id': json_text(d, 'user_id'),
    'group_member_login': json_text(d, 'user_login'),
    'group_folder_id': json_text(d, 'folder_id'),
    'group_folder_name': json_text(d, 'folder_name'),
}) }}
