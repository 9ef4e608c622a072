-- Users and groups: created, edited, deleted, admin role changes, group membership, folders granted
-- to groups (`group_folder_*`). Box names the group of a membership event in `additional_details`
-- (`group_id`, `group_name`) with the member as the event's source; an event whose source is the
-- group itself is read too.
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{% set is_group_event = "e.event_type like 'GROUP%'" %}
{{ audit_table('users_and_groups', {
    'target_user_id': "case when e.item_type = 'user' then e.item_id end",
    'target_user_login': "case when e.item_type = 'user' then e.item_login end",
    'group_id': "coalesce(" ~ json_text(d, 'group_id') ~ ", case when e.item_type = 'group' then e.item_id end)",
    'group_name': "coalesce(" ~ json_text(d, 'group_name') ~ ", case when e.item_type = 'group' then e.item_name end)",
    'previous_admin_role': json_text(d, 'old_role'),
    'new_admin_role': json_text(d, 'new_role'),
    'group_member_id': "coalesce(" ~ json_text(d, 'user_id') ~ ", case when " ~ is_group_event ~ " and e.item_type = 'user' then e.item_id end)",
    'group_member_login': "coalesce(" ~ json_text(d, 'user_login') ~ ", case when " ~ is_group_event ~ " and e.item_type = 'user' then e.item_login end)",
    'group_folder_id': json_text(d, 'folder_id'),
    'group_folder_name': json_text(d, 'folder_name'),
}) }}
