-- Access by anonymous users (Box user id 2): people who opened content through a shared link
-- without logging in. One row per event.
{{ config(**day_local_incremental()) }}
select
    occurred_on,
    occurred_at,
    event_id,
    event_type,
    ip_address,
    item_type,
    item_id,
    item_name,
    parent_folder_name,
    owner_login,
    item_classification,
    {{ json_text('additional_details', 'shared_link_id') }} as shared_link_id,
    _dlt_load_id
from {{ ref('stg_box__events') }}
-- Box's own system events also carry the anonymous actor (Shield alerts, failed logins of unknown
-- users, policy events): only content reached without logging in counts as anonymous access
where actor_is_anonymous and category in ('file_access', 'content_changes') {{- only_touched_days() }}
