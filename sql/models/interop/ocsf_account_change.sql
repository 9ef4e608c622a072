-- OCSF 1.8.0 Account Change (class_uid 3001, Identity & Access Management): NEW_USER is Create (1),
-- DELETE_USER Delete (6), ENABLE_MULTI_FACTOR_AUTH / ENABLE_TWO_FACTOR_AUTH MFA Factor Enable (10),
-- DISABLE_MULTI_FACTOR_AUTH MFA Factor Disable (11). `user` (required by the class) is the account
-- changed: the event's source user. The types come from two audit tables (users, authentication),
-- so the item columns are read from staging.
{{ config(materialized='view') }}
{%- set source_user = "e.item_type = 'user'" %}
select
    b.*,
    case when {{ source_user }} then e.item_id end as user__uid,
    case when {{ source_user }} then e.item_name end as user__name,
    case when {{ source_user }} then e.item_login end as user__email_addr,
    e.ip_address as src_endpoint__ip
from {{ ref('ocsf_mapped_events') }} as b
inner join {{ ref('stg_box__events') }} as e
    on e.event_id = b.raw_event_id
where b.class_uid = 3001
