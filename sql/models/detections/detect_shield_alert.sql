-- Box Shield alert (anomalous download, suspicious location or session, malicious content),
-- at the severity Shield gave it. The actor is the user Shield flagged.
{{ config(materialized='view') }}
select
    'shield_alert' as detection,
    coalesce(shield_priority, 'high') as severity,
    occurred_on,
    occurred_at as first_seen_at,
    occurred_at as last_seen_at,
    coalesce(shield_alert_user_id, actor_id) as actor_id,
    coalesce(shield_alert_user_login, actor_login) as actor_login,
    shield_rule_category as subject,
    1 as event_count,
    event_id as event_ids,
    'Shield: ' || coalesce(shield_rule_name, '?') || ' (risk ' || coalesce(
        cast(shield_risk_score as {{ text_type() }}), '?'
    ) || ')' as summary,
    _dlt_load_id
from {{ ref('audit_security') }}
where event_type = 'SHIELD_ALERT'
