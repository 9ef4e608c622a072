-- Box Sign: signature requests sent, signed, declined, cancelled, expired.
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('box_sign', {
    'sign_request_id': json_text(d, 'sign_request_id'),
    'signer_email': 'lower(' ~ json_text(d, 'signer_email') ~ ')',
}) }}
