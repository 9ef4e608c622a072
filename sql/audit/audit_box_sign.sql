-- Box Sign: sign requests created, sent, viewed, signed, declined, cancelled, expired.
-- materialized: incremental
select
    e.*,
    e.additional_details ->> '$.sign_request_id' as sign_request_id,
    lower(e.additional_details ->> '$.signer_email') as signer_email
from stg_box__events as e
where e.category = 'box_sign'
