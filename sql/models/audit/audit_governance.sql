-- Governance: retention and legal hold policies, metadata templates and instances, classification.
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('governance', {
    'policy_id': json_text(d, 'policy_id'),
    'policy_name': json_text(d, 'policy_name'),
    'metadata_template': json_text(d, 'metadata_template'),
    'metadata_instance_id': json_text(d, 'metadata_instance_id'),
}) }}
