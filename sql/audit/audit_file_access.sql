-- Reads of content: downloads (watermarked or not), previews, opens, programmatic access, sync.
-- `is_via_shared_link` marks access through a shared link (anonymous users come this way).
-- materialized: incremental
select
    e.*,
    cast(e.additional_details ->> '$.size' as bigint) as file_size_bytes,
    e.additional_details ->> '$.version_id' as file_version_id,
    e.additional_details ->> '$.service_id' as service_id,
    e.additional_details ->> '$.service_name' as service_name,
    e.additional_details ->> '$.shared_link_id' as shared_link_id,
    coalesce(e.additional_details ->> '$.shared_link_id', '') <> '' as is_via_shared_link,
    e.event_type = 'FILE_WATERMARKED_DOWNLOAD' as is_watermarked,
    e.additional_details ->> '$.ekm_id' as ekm_id
from stg_box__events as e
where e.category = 'file_access'
