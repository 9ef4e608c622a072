-- Shared link opened to everyone: a link on an item was created or changed to "open" access
-- (anyone with the link, no login). One detection per user, item and day.
{{ config(materialized='view') }}
select
    'open_shared_link' as detection,
    'medium' as severity,
    occurred_on,
    min(occurred_at) as first_seen_at,
    max(occurred_at) as last_seen_at,
    actor_id,
    max(actor_login) as actor_login,
    max(item_name) as subject,
    count(*) as event_count,
    {{ id_list('event_id') }} as event_ids,
    max(actor_login) || ' opened a shared link on ' || coalesce(max(item_name), '?')
    || ' to anyone' as summary,
    max(_dlt_load_id) as _dlt_load_id
from {{ ref('audit_sharing') }}
where is_open_to_anyone and event_type in ('SHARE', 'ITEM_SHARED_UPDATE')
group by occurred_on, actor_id, item_id
