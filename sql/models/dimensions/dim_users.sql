-- One row per Box user seen in the events, as actor or as the person an event is about (the target
-- of a user change, a group member, a collaborator, the subject of a Shield alert): the newest login
-- and name seen, first and last activity as an actor, the admin role now (from the newest admin role
-- change), when Box recorded the user's creation and deletion, and whether the login is external.
-- The anonymous user (id 2) is not a person and is left out. Incremental by user: a load rebuilds
-- the rows of the users it touched.
{{ config(**per_key_incremental('user_id')) }}
with all_sightings as (
    select actor_id as user_id, actor_login as login, actor_name as name, occurred_at, true as as_actor,
        _dlt_load_id
    from {{ ref('stg_box__events') }}
    where actor_id is not null and not actor_is_anonymous
    union all
    select target_user_id, target_user_login, cast(null as {{ text_type() }}), occurred_at, false, _dlt_load_id
    from {{ ref('audit_users_and_groups') }}
    where target_user_id is not null
    union all
    select group_member_id, group_member_login, cast(null as {{ text_type() }}), occurred_at, false, _dlt_load_id
    from {{ ref('audit_users_and_groups') }}
    where group_member_id is not null
    union all
    select collaborator_id, collaborator_login, collaborator_name, occurred_at, false, _dlt_load_id
    from {{ ref('audit_collaboration') }}
    where collaborator_id is not null and coalesce(collaborator_type, 'user') = 'user'
    union all
    select subject_user_id, subject_user_login, shield_alert_user_name, occurred_at, false, _dlt_load_id
    from {{ ref('audit_security') }}
    where subject_user_id is not null and event_type = 'SHIELD_ALERT'
),

sightings as (
    select * from all_sightings
    where true {{- only_touched_keys('user_id', "select user_id from all_sightings where _dlt_load_id > " ~ newest_seen_load()) }}
),

newest_login as (
    select user_id, login, name,
        row_number() over (partition by user_id order by occurred_at desc, login) as rank
    from sightings
    where login is not null and login <> ''
),

admin_roles as (
    select target_user_id as user_id, new_admin_role,
        row_number() over (partition by target_user_id order by occurred_at desc, event_id desc) as rank
    from {{ ref('audit_users_and_groups') }}
    where event_type = 'CHANGE_ADMIN_ROLE' and target_user_id is not null
),

lifecycle as (
    select target_user_id as user_id,
        min(case when event_type = 'NEW_USER' then occurred_at end) as created_at,
        max(case when event_type = 'DELETE_USER' then occurred_at end) as deleted_at
    from {{ ref('audit_users_and_groups') }}
    where target_user_id is not null
    group by target_user_id
),

activity as (
    select user_id,
        min(case when as_actor then occurred_at end) as first_active_at,
        max(case when as_actor then occurred_at end) as last_active_at,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        max(name) as any_name,
        max(_dlt_load_id) as _dlt_load_id
    from sightings
    group by user_id
)

select
    a.user_id,
    n.login,
    coalesce(n.name, a.any_name) as name,
    {{ email_domain('n.login') }} as login_domain,
    {{ email_domain('n.login') }} is not null and c.domain is null as is_external,
    a.first_seen_at,
    a.last_seen_at,
    a.first_active_at,
    a.last_active_at,
    coalesce(r.new_admin_role, 'user') as admin_role_now,
    coalesce(r.new_admin_role in ('admin', 'coadmin'), false) and l.deleted_at is null as is_admin_now,
    l.created_at,
    l.deleted_at,
    l.deleted_at is not null as is_deleted,
    a._dlt_load_id
from activity as a
left join newest_login as n on n.user_id = a.user_id and n.rank = 1
left join admin_roles as r on r.user_id = a.user_id and r.rank = 1
left join lifecycle as l on l.user_id = a.user_id
left join {{ ref('company_domains') }} as c on c.domain = {{ email_domain('n.login') }}
