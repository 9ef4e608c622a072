-- OCSF 1.8.0 Detection Finding (class_uid 2004, Findings): Box Shield's alerts (SHIELD_ALERT) and
-- Box's malware scan (FILE_MARKED_MALICIOUS), each a new finding (activity Create 1, status New 1).
-- `actor` is the user whose activity the finding is about (see ocsf_mapped_events). Arrays of the
-- class (malware, resources, evidences) hold at most one element here, flattened with the index
-- as a path segment: `malware__0__name`.
--
-- One CTE per source of findings, all with the same columns in the same order, and one `union all`
-- line each at the end: another source (e.g. our own detections) is one more CTE and one more line.
{{ config(materialized='view') }}
with box_alerts as (
    select
        b.*,
        true as is_alert,
        coalesce(a.shield_alert_id, a.event_id) as finding_info__uid,
        case
            when a.event_type = 'SHIELD_ALERT' then a.shield_rule_name
            else 'File marked malicious'
        end as finding_info__title,
        a.shield_alert_description as finding_info__desc,
        a.shield_alert_link as finding_info__src_url,
        a.shield_rule_name as finding_info__analytic__name,
        a.shield_rule_category as finding_info__analytic__category,
        -- a Shield alert comes from one of its rules: analytic type Rule (1)
        case when a.shield_rule_name is not null then 1 end as finding_info__analytic__type_id,
        case when a.shield_rule_name is not null then 'Rule' end as finding_info__analytic__type,
        a.shield_risk_score as risk_score,
        coalesce(a.malware_name, a.shield_malware_name) as malware__0__name,
        a.item_id as resources__0__uid,
        a.item_name as resources__0__name,
        a.item_type as resources__0__type,
        coalesce(a.ip_address, a.shield_ip_address) as evidences__0__src_endpoint__ip,
        -- OCSF wants the ISO 3166-1 alpha-2 code; Shield sends a code or a country's name
        case when length(a.shield_ip_country) = 2 then upper(a.shield_ip_country) end
            as evidences__0__src_endpoint__location__country
    from {{ ref('ocsf_mapped_events') }} as b
    inner join {{ ref('audit_security') }} as a
        on a.event_id = b.raw_event_id
    where b.class_uid = 2004
)

select * from box_alerts
