-- Shared links as they are now: one row per item whose link was created and not removed or expired
-- since. The access level and expiry are the newest the events carry (a later expiry change keeps
-- the access it does not mention); a link whose expiry has passed is not listed. A view on
-- `int_shared_links` (rebuilt per touched item): the expiry is compared with the clock when read.
{{ config(materialized='view') }}
select
    item_id,
    item_type,
    item_name,
    owner_login,
    last_changed_by,
    last_changed_at,
    shared_link_access,
    coalesce(shared_link_access = 'open', false) as is_open_to_anyone,
    expires_at
from {{ ref('int_shared_links') }}
where is_shared
    and (expires_at is null or expires_at > {{ now_utc() }})
