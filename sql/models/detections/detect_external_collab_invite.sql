-- External collaboration invite: someone invited a person outside the company (email domain
-- not in `company_domains`) to collaborate on a folder or file.
{{ config(materialized='view') }}
select
    'external_collab_invite' as detection,
    'medium' as severity,
    occurred_on,
    occurred_at as first_seen_at,
    occurred_at as last_seen_at,
    actor_id,
    actor_login,
    collaborator_login as subject,
    1 as event_count,
    event_id as event_ids,
    actor_login || ' invited ' || collaborator_login || ' as ' || coalesce(collaborator_role, '?')
    || ' on ' || coalesce(item_name, '?') as summary,
    _dlt_load_id
from {{ ref('audit_collaboration') }}
where event_type = 'COLLABORATION_INVITE' and collaborator_is_external
