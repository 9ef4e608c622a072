-- Writes to content: uploads, new versions, deletes and restores, moves, copies, renames, locks,
-- and auto-delete (storage expiration) settings.
-- materialized: incremental
select
    e.*,
    cast(e.additional_details ->> '$.size' as bigint) as file_size_bytes,
    e.additional_details ->> '$.version_id' as file_version_id,
    e.additional_details ->> '$.service_id' as service_id,
    e.additional_details ->> '$.service_name' as service_name,
    e.additional_details ->> '$.old_name' as previous_name,
    e.additional_details ->> '$.destination_folder.id' as destination_folder_id,
    e.additional_details ->> '$.destination_folder.name' as destination_folder_name,
    e.additional_details ->> '$.shared_link_id' as shared_link_id,
    e.additional_details ->> '$.ekm_id' as ekm_id
from stg_box__events as e
where e.category = 'content_changes'
