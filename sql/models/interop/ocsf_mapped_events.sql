-- Every Box event of a type `ocsf_event_classes` maps, with the OCSF 1.8.0 attributes all its
-- classes share: classification, time, severity, status, metadata, actor. The class views add their
-- own attributes to these rows; events of unmapped types are left out here (inner join).
--
-- The actor of a Shield alert is the person the alert is about (`audit_security.subject_user_*`),
-- not the event's creator: Box raises the alert itself as the anonymous user 2. Its severity is
-- Shield's own priority where that is a word the scale knows; otherwise the catalog's severity.
{{ config(materialized='view') }}
{%- set is_alert = "s.event_type = 'SHIELD_ALERT'" %}
select
    m.class_uid,
    m.class_name,
    m.category_uid,
    m.category_name,
    m.activity_id,
    m.activity_name,
    m.type_uid,
    m.type_name,
    coalesce(priority.severity_id, catalog.severity_id, 0) as severity_id,
    coalesce(priority.severity, catalog.severity, 'Unknown') as severity,
    -- OCSF's timestamp_t is milliseconds since the epoch (dictionary.json `types`); Box's times are
    -- whole seconds, so seconds * 1000 loses nothing
    {{ epoch_seconds('e.occurred_at') }} * 1000 as time,
    e.occurred_at as time_dt,
    m.status_id,
    m.status,
    e.event_id as metadata__uid,
    m.ocsf_version as metadata__version,
    'Box' as metadata__product__name,
    'Box' as metadata__product__vendor_name,
    e.event_type as metadata__event_code,
    'admin_logs' as metadata__log_name,
    case when {{ is_alert }} then s.subject_user_id else e.actor_id end as actor__user__uid,
    case when {{ is_alert }} then s.shield_alert_user_name else e.actor_name end as actor__user__name,
    case when {{ is_alert }} then s.subject_user_login else e.actor_login end as actor__user__email_addr,
    e.event_id as raw_event_id
from {{ ref('stg_box__events') }} as e
inner join {{ ref('ocsf_event_classes') }} as m
    on m.event_type = e.event_type
left join {{ ref('audit_security') }} as s
    on s.event_id = e.event_id
left join {{ ref('ocsf_severities') }} as priority
    on priority.box_severity = lower(s.shield_priority) and priority.severity_id > 0
left join {{ ref('ocsf_severities') }} as catalog
    on catalog.box_severity = e.severity
