-- OCSF 1.8.0 Group Management (class_uid 3006, Identity & Access Management): GROUP_CREATION is
-- Create (6), GROUP_DELETION Delete (5), GROUP_ADD_USER / GROUP_REMOVE_USER Add User (3) / Remove
-- User (4) with the member as `user`, GROUP_ADD_ITEM / GROUP_REMOVE_ITEM Assign (1) / Revoke (2)
-- Privileges, the folder the group gains or loses as `resource`.
{{ config(materialized='view') }}
select
    b.*,
    a.group_id as group__uid,
    a.group_name as group__name,
    a.group_member_id as user__uid,
    case when a.group_member_id is not null and a.item_type = 'user' then a.item_name end as user__name,
    a.group_member_login as user__email_addr,
    a.group_folder_id as resource__uid,
    a.group_folder_name as resource__name,
    case when a.group_folder_id is not null then 'folder' end as resource__type,
    a.ip_address as src_endpoint__ip
from {{ ref('ocsf_mapped_events') }} as b
inner join {{ ref('audit_users_and_groups') }} as a
    on a.event_id = b.raw_event_id
where b.class_uid = 3006
