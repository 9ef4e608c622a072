-- Apps and tokens: applications created or authorised, public keys added or removed, access granted to
-- an app (`client_id`: the app's client id).
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('apps_and_tokens', {
    'service_id': json_text(d, 'service_id'),
    'service_name': json_text(d, 'service_name'),
    'client_id': 'coalesce(' ~ json_text(d, 'client_id') ~ ', ' ~ json_text(d, 'service_id') ~ ')',
}) }}
