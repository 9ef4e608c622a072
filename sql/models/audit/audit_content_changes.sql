-- Content changes: uploads, edits, copies, moves, renames, deletes, restores, versions, locks.
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('content_changes', {
    'file_size_bytes': safe_cast(json_text(d, 'size'), 'bigint'),
    'file_version_id': json_text(d, 'version_id'),
    'service_id': json_text(d, 'service_id'),
    'service_name': json_text(d, 'service_name'),
    'previous_name': json_text(d, 'old_name'),
    'destination_folder_id': json_text(d, 'destination_folder.id'),
    'destination_folder_name': json_text(d, 'destination_folder.name'),
    'shared_link_id': json_text(d, 'shared_link_id'),
    'ekm_id': json_text(d, 'ekm_id'),
}) }}
