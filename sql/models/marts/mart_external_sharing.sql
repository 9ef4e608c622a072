-- Content exposed outside the company: shared links opened to anyone, and collaborations
-- granted to people whose email domain is not one of `company_domains`.
{{ config(**day_local_incremental()) }}
select
    occurred_on,
    occurred_at,
    event_id,
    event_type,
    'open_shared_link' as exposure,
    actor_id,
    actor_login,
    item_type,
    item_id,
    item_name,
    owner_login,
    'anyone with the link' as shared_with,
    cast(null as {{ text_type() }}) as shared_with_domain,
    shared_link_access as access_level,
    shared_link_expires_at as expires_at,
    _dlt_load_id
from {{ ref('audit_sharing') }}
where is_open_to_anyone and event_type in ('SHARE', 'ITEM_SHARED_UPDATE') {{- only_touched_days() }}

union all

select
    occurred_on,
    occurred_at,
    event_id,
    event_type,
    'external_collaborator' as exposure,
    actor_id,
    actor_login,
    item_type,
    item_id,
    item_name,
    owner_login,
    collaborator_login as shared_with,
    collaborator_domain as shared_with_domain,
    collaborator_role as access_level,
    expires_at,
    _dlt_load_id
from {{ ref('audit_collaboration') }}
where
    collaborator_is_external
    and event_type in ('COLLABORATION_INVITE', 'COLLABORATION_ACCEPT', 'COLLABORATION_ROLE_CHANGE')
    {{- only_touched_days() }}
