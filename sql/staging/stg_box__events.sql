-- One clean row per Box enterprise event, read from the raw `admin_logs` table.
-- Timestamps in UTC, the actor, the item and the collaborator (`accessible_by`) as analyst-named
-- columns; the category and severity from the event-type catalog (`box_event_types`; a type
-- missing from the catalog lands in `uncategorized`); `additional_details` kept whole as JSON for
-- the audit tables to unpack. `ip_address` is NULL where Box says "Unknown IP". A login is
-- external when its email domain is not one of `company_domains` (anonymous users, id 2, are
-- flagged separately).
-- materialized: incremental
with events as (
    select
        e.*,
        nullif(lower(split_part(e.created_by_login, '@', 2)), '') as actor_domain,
        nullif(lower(split_part(e.accessible_by ->> '$.login', '@', 2)), '') as accessible_by_domain
    from admin_logs as e
)

select
    e.event_id,
    e.event_type,
    coalesce(t.category, 'uncategorized') as category,
    coalesce(t.severity, 'unknown') as severity,
    e.created_at as occurred_at,
    cast(e.created_at at time zone 'UTC' as date) as occurred_on,
    e.recorded_at,
    e.created_by_id as actor_id,
    e.created_by_name as actor_name,
    nullif(e.created_by_login, '') as actor_login,
    e.actor_domain,
    coalesce(e.created_by_id = '2', false) as actor_is_anonymous,
    e.actor_domain is not null and actor_company.domain is null as actor_is_external,
    nullif(e.ip_address, 'Unknown IP') as ip_address,
    e.session_id,
    coalesce(e.source ->> '$.item_type', e.source ->> '$.type') as item_type,
    coalesce(e.source ->> '$.item_id', e.source ->> '$.id') as item_id,
    coalesce(e.source ->> '$.item_name', e.source ->> '$.name') as item_name,
    e.source ->> '$.login' as item_login,
    e.source ->> '$.parent.id' as parent_folder_id,
    e.source ->> '$.parent.name' as parent_folder_name,
    e.source ->> '$.owned_by.id' as owner_id,
    e.source ->> '$.owned_by.name' as owner_name,
    e.source ->> '$.owned_by.login' as owner_login,
    e.source ->> '$.classification.name' as item_classification,
    e.action_by ->> '$.id' as action_by_id,
    e.action_by ->> '$.login' as action_by_login,
    e.accessible_by ->> '$.type' as accessible_by_type,
    e.accessible_by ->> '$.id' as accessible_by_id,
    e.accessible_by ->> '$.name' as accessible_by_name,
    e.accessible_by ->> '$.login' as accessible_by_login,
    e.accessible_by_domain,
    e.accessible_by_domain is not null and collaborator_company.domain is null
        as accessible_by_is_external,
    e.additional_details,
    e.extra,
    e._dlt_load_id
from events as e
left join box_event_types as t
    on t.event_type = e.event_type
left join company_domains as actor_company
    on actor_company.domain = e.actor_domain
left join company_domains as collaborator_company
    on collaborator_company.domain = e.accessible_by_domain
