-- Logins: successful and failed, admin logins into users' accounts, new devices, two-factor changes.
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('authentication', {
    'failure_reason': json_text(d, 'failure_reason'),
    'device_id': json_text(d, 'device_id'),
    'device_name': json_text(d, 'device_name'),
    'device_platform': json_text(d, 'platform'),
    'service_name': json_text(d, 'service_name'),
}) }}
