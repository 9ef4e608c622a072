-- Collaborations: invitations, acceptances, role changes and removals on folders and files.
-- `collaborator_*` is who was given access (a user or a group); `expires_at` when the collaboration
-- ends.
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('collaboration', {
    'collaboration_id': json_text(d, 'collab_id'),
    'collaborator_role': json_text(d, 'role'),
    'previous_role': json_text(d, 'old_role'),
    'is_performed_by_admin': safe_cast(json_text(d, 'is_performed_by_admin'), 'boolean'),
    'expires_at': safe_cast(json_text(d, 'expires_at'), 'timestamp'),
    'collaborator_type': 'e.accessible_by_type',
    'collaborator_id': 'e.accessible_by_id',
    'collaborator_name': 'e.accessible_by_name',
    'collaborator_login': 'e.accessible_by_login',
    'collaborator_domain': 'e.accessible_by_domain',
    'collaborator_is_external': 'e.accessible_by_is_external',
    'collaborator_is_group': "coalesce(e.accessible_by_type = 'group', false)",
}) }}
