-- Applications and tokens: apps created and authorized, public keys, OAuth 2.0 tokens.
-- materialized: incremental
select
    e.*,
    e.additional_details ->> '$.service_id' as service_id,
    e.additional_details ->> '$.service_name' as service_name,
    e.additional_details ->> '$.client_id' as client_id
from stg_box__events as e
where e.category = 'apps_and_tokens'
