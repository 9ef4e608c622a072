-- Malicious file: Box marked a file as malware (Panther's "Malicious Content Detected").
{{ config(materialized='view') }}
select
    'malicious_file' as detection,
    'critical' as severity,
    occurred_on,
    occurred_at as first_seen_at,
    occurred_at as last_seen_at,
    actor_id,
    actor_login,
    item_name as subject,
    1 as event_count,
    event_id as event_ids,
    coalesce(item_name, '?') || ' is infected with ' || coalesce(malware_name, 'malware')
    || ' (owner ' || coalesce(owner_login, '?') || ')' as summary,
    _dlt_load_id
from {{ ref('audit_security') }}
where event_type = 'FILE_MARKED_MALICIOUS'
