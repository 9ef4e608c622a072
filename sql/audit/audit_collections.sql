-- Collections (a user's favourites and custom collections) and the items in them.
-- materialized: incremental
select
    e.*,
    e.additional_details ->> '$.collection_id' as collection_id,
    e.additional_details ->> '$.message' as message
from stg_box__events as e
where e.category = 'collections'
