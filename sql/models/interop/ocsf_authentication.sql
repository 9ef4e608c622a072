-- OCSF 1.8.0 Authentication (class_uid 3002, Identity & Access Management): LOGIN and FAILED_LOGIN
-- are a Logon (activity 1), a Success or a Failure (with Box's reason as `status_detail`);
-- ADMIN_LOGIN, an admin entering a managed user's account from the Admin Console, is an Account
-- Switch (7) of type Impersonate (account_switch_type_id 2). `user` is the account logged into
-- (the event's source user), `actor` who logged in; the service authenticated to is Box (the class
-- wants a service or a destination endpoint).
{{ config(materialized='view') }}
{%- set source_user = "a.item_type = 'user'" %}
select
    b.*,
    case when {{ source_user }} then a.item_id else a.actor_id end as user__uid,
    case when {{ source_user }} then a.item_name else a.actor_name end as user__name,
    case when {{ source_user }} then a.item_login else a.actor_login end as user__email_addr,
    a.failure_reason as status_detail,
    a.ip_address as src_endpoint__ip,
    a.session_id as session__uid,
    'Box' as service__name,
    case when b.activity_id = 7 then 2 end as account_switch_type_id,
    case when b.activity_id = 7 then 'Impersonate' end as account_switch_type
from {{ ref('ocsf_mapped_events') }} as b
inner join {{ ref('audit_authentication') }} as a
    on a.event_id = b.raw_event_id
where b.class_uid = 3002
