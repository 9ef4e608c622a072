-- Every external person (email domain not in `company_domains`) who was ever a collaborator:
-- when they were first invited, what they can reach, who brought them in.
{{ config(materialized='view') }}
select
    collaborator_login,
    max(collaborator_name) as collaborator_name,
    max(collaborator_domain) as collaborator_domain,
    min(occurred_at) as first_seen_at,
    max(occurred_at) as last_seen_at,
    count(case when event_type = 'COLLABORATION_INVITE' then 1 end) as invites,
    count(case when event_type = 'COLLABORATION_ACCEPT' then 1 end) as accepts,
    count(case when event_type = 'COLLABORATION_REMOVE' then 1 end) as removals,
    count(distinct item_id) as distinct_items,
    count(distinct case when event_type = 'COLLABORATION_INVITE' then actor_login end)
        as distinct_inviters
from {{ ref('audit_collaboration') }}
where collaborator_is_external
group by collaborator_login
