-- Shared links: created, removed, settings changed, expirations set or extended.
-- `shared_link_access` is who can open the link: open (anyone), company, or collaborators.
-- materialized: incremental
select
    e.*,
    e.additional_details ->> '$.shared_link_id' as shared_link_id,
    e.additional_details ->> '$.shared_link_access' as shared_link_access,
    coalesce(e.additional_details ->> '$.shared_link_access' = 'open', false) as is_open_to_anyone,
    cast(e.additional_details ->> '$.shared_link_expires_at' as timestamptz)
        as shared_link_expires_at,
    e.additional_details ->> '$.service_name' as service_name
from stg_box__events as e
where e.category = 'sharing'
