-- Box Sign: signature requests created, sent, viewed, signed, declined, cancelled, expired. Box puts
-- the request in `additional_details.sign_request` (its id, status, files, requestor and signer).
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('box_sign', {
    'sign_request_id': 'coalesce(' ~ json_text(d, 'sign_request.sign_request_id') ~ ', ' ~ json_text(d, 'sign_request_id') ~ ')',
    'sign_request_status': json_text(d, 'sign_request.status'),
    'sign_file_id': json_text(d, 'sign_request.files[0].id'),
    'sign_file_name': json_text(d, 'sign_request.files[0].name'),
    'requestor_login': 'lower(' ~ json_text(d, 'sign_request.requestor.login') ~ ')',
    'signer_email': 'lower(coalesce(' ~ json_text(d, 'sign_request.signer.login') ~ ', ' ~ json_text(d, 'sign_request.signer.email') ~ ', ' ~ json_text(d, 'signer_email') ~ '))',
}) }}
