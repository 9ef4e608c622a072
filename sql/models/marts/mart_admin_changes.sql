-- Admin and permission changes: admin roles, users created or deleted, group membership,
-- folder permissions and collaborator roles, Box support access, app authorizations,
-- external collaboration settings, and admins logging in as users. One row per event, with
-- what changed (`previous_value` -> `new_value`) and whom it was done to (`target`).
{{ config(**day_local_incremental()) }}
select
    occurred_on, occurred_at, event_id, event_type, severity, actor_id, actor_login,
    coalesce(target_user_login, group_name, item_name) as target,
    coalesce(group_member_login, target_user_login) as target_login,
    previous_admin_role as previous_value,
    new_admin_role as new_value,
    _dlt_load_id
from {{ ref('audit_users_and_groups') }}
where event_type in (
    'CHANGE_ADMIN_ROLE', 'NEW_USER', 'DELETE_USER', 'EDIT_USER', 'ACCESS_GRANTED',
    'ACCESS_REVOKED', 'GROUP_ADD_USER', 'GROUP_REMOVE_USER'
)
    {{- only_touched_days() }}

union all

select
    occurred_on, occurred_at, event_id, event_type, severity, actor_id, actor_login,
    item_name as target,
    collaborator_login as target_login,
    previous_role as previous_value,
    collaborator_role as new_value,
    _dlt_load_id
from {{ ref('audit_collaboration') }}
where event_type in ('CHANGE_FOLDER_PERMISSION', 'COLLABORATION_ROLE_CHANGE')
    {{- only_touched_days() }}

union all

select
    occurred_on, occurred_at, event_id, event_type, severity, actor_id, actor_login,
    service_name as target,
    cast(null as {{ text_type() }}) as target_login,
    cast(null as {{ text_type() }}) as previous_value,
    client_id as new_value,
    _dlt_load_id
from {{ ref('audit_apps_and_tokens') }}
where event_type in (
    'ENTERPRISE_APP_AUTHORIZATION_UPDATE', 'APPLICATION_CREATED', 'APPLICATION_PUBLIC_KEY_ADDED',
    'APPLICATION_PUBLIC_KEY_DELETED'
)
    {{- only_touched_days() }}

union all

select
    occurred_on, occurred_at, event_id, event_type, severity, actor_id, actor_login,
    coalesce(item_name, policy_name) as target,
    cast(null as {{ text_type() }}) as target_login,
    cast(null as {{ text_type() }}) as previous_value,
    policy_name as new_value,
    _dlt_load_id
from {{ ref('audit_security') }}
where event_type = 'EXTERNAL_COLLAB_SECURITY_SETTINGS'
    {{- only_touched_days() }}

union all

select
    occurred_on, occurred_at, event_id, event_type, severity, actor_id, actor_login,
    item_name as target,
    item_login as target_login,
    cast(null as {{ text_type() }}) as previous_value,
    cast(null as {{ text_type() }}) as new_value,
    _dlt_load_id
from {{ ref('audit_authentication') }}
where event_type = 'ADMIN_LOGIN'
    {{- only_touched_days() }}
