-- Security signals: Shield alerts and blocks, malicious files, failed device trust checks and
-- content workflow policy violations. Shield alert fields are unpacked from `shield_alert`.
-- materialized: incremental
select
    e.*,
    e.additional_details ->> '$.shield_alert.alert_id' as shield_alert_id,
    e.additional_details ->> '$.shield_alert.rule_category' as shield_rule_category,
    e.additional_details ->> '$.shield_alert.rule_name' as shield_rule_name,
    cast(e.additional_details ->> '$.shield_alert.risk_score' as integer) as shield_risk_score,
    e.additional_details ->> '$.shield_alert.priority' as shield_priority,
    e.additional_details ->> '$.shield_alert.alert_summary.description' as shield_alert_description,
    e.additional_details -> '$.shield_alert.alert_summary' as shield_alert_summary,
    e.additional_details ->> '$.shield_alert.user.id' as shield_alert_user_id,
    e.additional_details ->> '$.shield_alert.user.login' as shield_alert_user_login,
    e.additional_details ->> '$.shield_policy_name' as shield_policy_name,
    e.additional_details ->> '$.justification' as justification,
    e.additional_details ->> '$.malware_name' as malware_name,
    cast(e.additional_details ->> '$.size' as bigint) as file_size_bytes,
    e.additional_details ->> '$.policy_id' as policy_id,
    e.additional_details ->> '$.policy_name' as policy_name
from stg_box__events as e
where e.category = 'security'
