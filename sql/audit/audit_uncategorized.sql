-- Events whose type is not in the catalog (`sql/seeds/box_event_types.csv`): Box adds types
-- without notice, so they land here rather than disappear. Add a type to the catalog to move it.
-- materialized: incremental
select e.*
from stg_box__events as e
where e.category = 'uncategorized'
