-- File access: downloads, previews, opens, watermarked downloads. `is_via_shared_link` marks access
-- through a shared link.
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('file_access', {
    'file_size_bytes': safe_cast(json_text(d, 'size'), 'bigint'),
    'file_version_id': json_text(d, 'version_id'),
    'service_id': json_text(d, 'service_id'),
    'service_name': json_text(d, 'service_name'),
    'shared_link_id': json_text(d, 'shared_link_id'),
    'is_via_shared_link': 'coalesce(' ~ json_text(d, 'shared_link_id') ~ ", '') <> ''",
    'is_watermarked': "e.event_type = 'FILE_WATERMARKED_DOWNLOAD'",
    'ekm_id': json_text(d, 'ekm_id'),
}) }}
