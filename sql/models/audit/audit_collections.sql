-- Collections and favourites.
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('collections', {
    'collection_id': json_text(d, 'collection_id'),
    'message': json_text(d, 'message'),
}) }}
