-- One row per file, folder or web link seen in the events: the newest name, parent folder and owner
-- seen, first and last activity (`int_items`), and its shared link now (access level and expiry, or
-- none; `cur_shared_links`). A view: the link state follows expiries without a rebuild.
{{ config(materialized='view') }}
select
    i.item_id,
    i.item_type,
    i.item_name,
    i.parent_folder_id,
    i.parent_folder_name,
    i.owner_id,
    i.owner_login,
    i.first_seen_at,
    i.last_seen_at,
    links.shared_link_access as shared_link_access_now,
    links.expires_at as shared_link_expires_at,
    coalesce(links.is_open_to_anyone, false) as is_open_to_anyone_now
from {{ ref('int_items') }} as i
left join {{ ref('cur_shared_links') }} as links on links.item_id = i.item_id
