-- Shared links: created, removed, settings changed, expirations set or extended. `shared_link_access`
-- is who can open the link: open (anyone), company, or collaborators.
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('sharing', {
    'shared_link_id': json_text(d, 'shared_link_id'),
    'shared_link_access': json_text(d, 'shared_link_access'),
    'is_open_to_anyone': 'coalesce(' ~ json_text(d, 'shared_link_access') ~ " = 'open', false)",
    'shared_link_expires_at': safe_cast(json_text(d, 'shared_link_expires_at'), 'timestamp'),
    'service_name': json_text(d, 'service_name'),
}) }}
