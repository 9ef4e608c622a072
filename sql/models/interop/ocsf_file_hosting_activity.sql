-- OCSF 1.8.0 File Hosting Activity (class_uid 6006, Application Activity): uploads, downloads,
-- edits, deletes, renames, copies, moves, restores, previews, locks, shared links and collaborations
-- (Share / Unshare), opens and syncs; the activity of each type is in `ocsf_event_classes`. `file`
-- is the event's item (a folder is a file of type Folder, as OCSF's file object has it); its size
-- and version come from the audit table that unpacked them.
{{ config(materialized='view') }}
select
    b.*,
    e.item_id as file__uid,
    e.item_name as file__name,
    -- OCSF's file type_id: 1 Regular File, 2 Folder; Box's other item types (web links) are Other
    -- (99) with Box's name as `file__type`, as OCSF asks for Other
    case
        when e.item_type = 'file' then 1
        when e.item_type = 'folder' then 2
        when e.item_type is null then 0
        else 99
    end as file__type_id,
    case
        when e.item_type = 'file' then 'Regular File'
        when e.item_type = 'folder' then 'Folder'
        when e.item_type is null then 'Unknown'
        else e.item_type
    end as file__type,
    coalesce(access.file_size_bytes, changes.file_size_bytes) as file__size,
    coalesce(access.file_version_id, changes.file_version_id) as file__version,
    e.parent_folder_name as file__parent_folder,
    e.owner_id as file__owner__uid,
    e.owner_name as file__owner__name,
    e.owner_login as file__owner__email_addr,
    e.ip_address as src_endpoint__ip
from {{ ref('ocsf_mapped_events') }} as b
inner join {{ ref('stg_box__events') }} as e
    on e.event_id = b.raw_event_id
left join {{ ref('audit_file_access') }} as access
    on access.event_id = b.raw_event_id
left join {{ ref('audit_content_changes') }} as changes
    on changes.event_id = b.raw_event_id
where b.class_uid = 6006
