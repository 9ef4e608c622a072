-- Logins, failed logins, admin logins into managed accounts, and the devices users sign in from.
-- materialized: incremental
select
    e.*,
    e.additional_details ->> '$.failure_reason' as failure_reason,
    e.additional_details ->> '$.device_id' as device_id,
    e.additional_details ->> '$.device_name' as device_name,
    e.additional_details ->> '$.platform' as device_platform,
    e.additional_details ->> '$.service_name' as service_name
from stg_box__events as e
where e.category = 'authentication'
