-- One clean row per Box enterprise event, read from the raw `admin_logs` table the pipeline loads.
-- Timestamps in UTC, the actor, the item and the collaborator (`accessible_by`) as analyst-named
-- columns; the category and severity from the event-type catalog (`box_event_types`; a type missing
-- from the catalog lands in `uncategorized`); `additional_details` kept whole as JSON for the audit
-- tables to unpack. Only rows of loads dlt recorded as complete are read.
{{ config(**per_event_incremental()) }}
with events as (
    select
        e.*,
        {{ email_domain('e.created_by_login') }} as actor_domain,
        {{ email_domain(json_text('e.accessible_by', 'login')) }} as accessible_by_domain
    from {{ source('box_events', 'admin_logs') }} as e
    where e._dlt_load_id in (
        select load_id from {{ source('box_events', '_dlt_loads') }} where status = 0
    )
    {{- only_new_loads('e._dlt_load_id') }}
)

select
    e.event_id,
    e.event_type,
    coalesce(t.category, 'uncategorized') as category,
    coalesce(t.severity, 'unknown') as severity,
    e.created_at as occurred_at,
    {{ utc_date('e.created_at') }} as occurred_on,
    e.recorded_at,
    e.created_by_id as actor_id,
    e.created_by_name as actor_name,
    nullif(e.created_by_login, '') as actor_login,
    e.actor_domain,
    coalesce(e.created_by_id = '2', false) as actor_is_anonymous,
    e.actor_domain is not null and actor_company.domain is null as actor_is_external,
    nullif(e.ip_address, 'Unknown IP') as ip_address,
    e.session_id,
    -- an event's item: Box's event source (`item_*`), a full object or user mini (`type`, `id`), or
    -- the collaboration shape (`folder_id` / `file_id`)
    coalesce(
        {{ json_text('e.source', 'item_type') }},
        {{ json_text('e.source', 'type') }},
        case
            when {{ json_text('e.source', 'folder_id') }} is not null then 'folder'
            when {{ json_text('e.source', 'file_id') }} is not null then 'file'
        end
    ) as item_type,
    nullif(coalesce(
        {{ json_text('e.source', 'item_id') }},
        {{ json_text('e.source', 'id') }},
        {{ json_text('e.source', 'folder_id') }},
        {{ json_text('e.source', 'file_id') }}
    ), '') as item_id,
    coalesce(
        {{ json_text('e.source', 'item_name') }},
        {{ json_text('e.source', 'name') }},
        {{ json_text('e.source', 'folder_name') }},
        {{ json_text('e.source', 'file_name') }}
    ) as item_name,
    {{ json_text('e.source', 'login') }} as item_login,
    {{ json_text('e.source', 'parent.id') }} as parent_folder_id,
    {{ json_text('e.source', 'parent.name') }} as parent_folder_name,
    {{ json_text('e.source', 'owned_by.id') }} as owner_id,
    {{ json_text('e.source', 'owned_by.name') }} as owner_name,
    {{ json_text('e.source', 'owned_by.login') }} as owner_login,
    {{ json_text('e.source', 'classification.name') }} as item_classification,
    {{ json_text('e.action_by', 'id') }} as action_by_id,
    {{ json_text('e.action_by', 'login') }} as action_by_login,
    {{ json_text('e.accessible_by', 'type') }} as accessible_by_type,
    {{ json_text('e.accessible_by', 'id') }} as accessible_by_id,
    {{ json_text('e.accessible_by', 'name') }} as accessible_by_name,
    {{ json_text('e.accessible_by', 'login') }} as accessible_by_login,
    e.accessible_by_domain,
    e.accessible_by_domain is not null and collaborator_company.domain is null
        as accessible_by_is_external,
    e.additional_details,
    e.extra,
    e._dlt_load_id
from events as e
left join {{ ref('box_event_types') }} as t
    on t.event_type = e.event_type
left join {{ ref('company_domains') }} as actor_company
    on actor_company.domain = e.actor_domain
left join {{ ref('company_domains') }} as collaborator_company
    on collaborator_company.domain = e.accessible_by_domain
