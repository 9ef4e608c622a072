-- Collaborations: invites, accepts, role changes, removals, expirations, folder permission edits.
-- The collaborator is the event's `accessible_by` (a user or a group).
-- materialized: incremental
select
    e.*,
    e.additional_details ->> '$.collab_id' as collaboration_id,
    e.additional_details ->> '$.role' as collaborator_role,
    e.additional_details ->> '$.old_role' as previous_role,
    cast(e.additional_details ->> '$.is_performed_by_admin' as boolean) as is_performed_by_admin,
    e.accessible_by_type as collaborator_type,
    e.accessible_by_id as collaborator_id,
    e.accessible_by_name as collaborator_name,
    e.accessible_by_login as collaborator_login,
    e.accessible_by_domain as collaborator_domain,
    e.accessible_by_is_external as collaborator_is_external
from stg_box__events as e
where e.category = 'collaboration'
