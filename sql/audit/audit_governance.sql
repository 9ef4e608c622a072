-- Governance: legal holds, retention policies, content workflow policies and automations,
-- metadata templates and instances, watermark labels.
-- materialized: incremental
select
    e.*,
    e.additional_details ->> '$.policy_id' as policy_id,
    e.additional_details ->> '$.policy_name' as policy_name,
    e.additional_details ->> '$.metadata_template' as metadata_template,
    e.additional_details ->> '$.metadata_instance_id' as metadata_instance_id
from stg_box__events as e
where e.category = 'governance'
