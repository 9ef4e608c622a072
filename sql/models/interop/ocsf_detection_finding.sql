-- OCSF 1.8.0 Detection Finding (class_uid 2004, Findings): Box Shield's alerts (SHIELD_ALERT) and
-- Box's malware scan (FILE_MARKED_MALICIOUS), each a new finding (activity Create 1, status New 1),
-- and this product's own findings (`detection_findings`: the rule as the analytic, its ATT&CK
-- technique and tactic, first and last seen, the events behind it, the triage state as the
-- finding's status: new 1 New, acknowledged 2 In Progress, suppressed 3 Suppressed, resolved 4
-- Resolved, per events/findings/finding.json).
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
            as evidences__0__src_endpoint__location__country,
        b.time as finding_info__first_seen_time,
        b.time as finding_info__last_seen_time,
        1 as finding_info__related_events_count,
        b.raw_event_id as finding_info__related_event_uids,
        cast(null as {{ text_type() }}) as attacks__0__technique__uid,
        cast(null as {{ text_type() }}) as attacks__0__tactic__name
    from {{ ref('ocsf_mapped_events') }} as b
    inner join {{ ref('audit_security') }} as a
        on a.event_id = b.raw_event_id
    where b.class_uid = 2004
),

our_findings as (
    select
        2004 as class_uid,
        'Detection Finding' as class_name,
        2 as category_uid,
        'Findings' as category_name,
        1 as activity_id,
        'Create' as activity_name,
        200401 as type_uid,
        'Detection Finding: Create' as type_name,
        coalesce(sev.severity_id, 0) as severity_id,
        coalesce(sev.severity, 'Unknown') as severity,
        {{ epoch_seconds('f.last_seen_at') }} * 1000 as time,
        f.last_seen_at as time_dt,
        case f.status when 'new' then 1 when 'acknowledged' then 2 when 'suppressed' then 3 when 'resolved' then 4 end
            as status_id,
        case f.status when 'new' then 'New' when 'acknowledged' then 'In Progress' when 'suppressed' then 'Suppressed'
            when 'resolved' then 'Resolved' end as status,
        f.detection_id as metadata__uid,
        '1.8.0' as metadata__version,
        'Box' as metadata__product__name,
        'Box' as metadata__product__vendor_name,
        f.rule_id as metadata__event_code,
        'detections' as metadata__log_name,
        f.actor_id as actor__user__uid,
        cast(null as {{ text_type() }}) as actor__user__name,
        f.actor_login as actor__user__email_addr,
        cast(null as {{ text_type() }}) as raw_event_id,
        false as is_alert,
        f.detection_id as finding_info__uid,
        f.rule_title as finding_info__title,
        f.summary as finding_info__desc,
        cast(null as {{ text_type() }}) as finding_info__src_url,
        f.rule_id as finding_info__analytic__name,
        f.tactic as finding_info__analytic__category,
        1 as finding_info__analytic__type_id,
        'Rule' as finding_info__analytic__type,
        cast(null as integer) as risk_score,
        cast(null as {{ text_type() }}) as malware__0__name,
        cast(null as {{ text_type() }}) as resources__0__uid,
        f.subject as resources__0__name,
        cast(null as {{ text_type() }}) as resources__0__type,
        cast(null as {{ text_type() }}) as evidences__0__src_endpoint__ip,
        cast(null as {{ text_type() }}) as evidences__0__src_endpoint__location__country,
        {{ epoch_seconds('f.first_seen_at') }} * 1000 as finding_info__first_seen_time,
        {{ epoch_seconds('f.last_seen_at') }} * 1000 as finding_info__last_seen_time,
        f.event_count as finding_info__related_events_count,
        f.event_ids as finding_info__related_event_uids,
        f.technique as attacks__0__technique__uid,
        f.tactic as attacks__0__tactic__name
    from {{ ref('detection_findings') }} as f
    left join {{ ref('ocsf_severities') }} as sev on sev.box_severity = f.severity
)

select * from box_alerts
union all
select * from our_findings
