-- What anyone with the link can open right now: shared links whose access is `open`, not removed,
-- not expired. The answer to "which files are open to anyone now". A view, like cur_shared_links.
{{ config(materialized='view') }}
select *
from {{ ref('cur_shared_links') }}
where is_open_to_anyone
