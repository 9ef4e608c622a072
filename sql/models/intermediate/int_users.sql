-- One row per Box user seen in the events, as actor or as the person an event is about (the target of
-- a user change, a group member, a collaborator, the subject of a Shield alert): the newest login and
-- name seen, first and last seen and active, the newest admin role change, when Box recorded the
-- user's creation and deletion. The anonymous user (id 2) is not a person and is left out.
-- Incremental by combining, like `int_items`: a sync costs what it brought. `dim_users` derives the rest.
{{ config(**per_key_incremental('user_id')) }}
with new_sightings as (
    select actor_id as user_id, actor_login as login, actor_name as name, occurred_at, true as as_actor,
        _dlt_load_id
    from {{ ref('stg_box__events') }}
    where actor_id is not null and not actor_is_anonymous {{- only_new_loads() }}
    union all
    select target_user_id, target_user_login, cast(null as {{ text_type() }}), occurred_at, false, _dlt_load_id
    from {{ ref('audit_users_and_groups') }}
    where target_user_id is not null {{- only_new_loads() }}
    union all
    select group_member_id, group_member_login, cast(null as {{ text_type() }}), occurred_at, false, _dlt_load_id
    from {{ ref('audit_users_and_groups') }}
    where group_member_id is not null {{- only_new_loads() }}
    union all
    select collaborator_id, collaborator_login, collaborator_name, occurred_at, false, _dlt_load_id
    from {{ ref('audit_collaboration') }}
    where collaborator_id is not null and coalesce(collaborator_type, 'user') = 'user' {{- only_new_loads() }}
    union all
    select subject_user_id, subject_user_login, shield_alert_user_name, occurred_at, false, _dlt_load_id
    from {{ ref('audit_security') }}
    where subject_user_id is not null and event_type = 'SHIELD_ALERT' {{- only_new_loads() }}
),

logins as (
    select user_id, login, occurred_at as login_seen_at,
        row_number() over (partition by user_id order by occurred_at desc, login desc) as rank
    from new_sightings
    where login is not null and login <> ''
),

names as (
    select user_id, name, occurred_at as name_seen_at,
        row_number() over (partition by user_id order by occurred_at desc, name desc) as rank
    from new_sightings
    where name is not null and name <> ''
),

changes as (
    select target_user_id as user_id, new_admin_role as admin_role, occurred_at as admin_role_changed_at,
        event_id as admin_role_event_id,
        row_number() over (partition by target_user_id order by occurred_at desc, event_id desc) as rank
    from {{ ref('audit_users_and_groups') }}
    where event_type = 'CHANGE_ADMIN_ROLE' and target_user_id is not null {{- only_new_loads() }}
),

lifecycle as (
    select target_user_id as user_id,
        min(case when event_type = 'NEW_USER' then occurred_at end) as created_at,
        max(case when event_type = 'DELETE_USER' then occurred_at end) as deleted_at
    from {{ ref('audit_users_and_groups') }}
    where target_user_id is not null {{- only_new_loads() }}
    group by target_user_id
),

batch as (
    select
        a.user_id,
        l.login, l.login_seen_at,
        n.name, n.name_seen_at,
        a.first_seen_at, a.last_seen_at, a.first_active_at, a.last_active_at,
        c.admin_role, c.admin_role_changed_at, c.admin_role_event_id,
        y.created_at, y.deleted_at,
        a._dlt_load_id
    from (
        select user_id,
            min(occurred_at) as first_seen_at,
            max(occurred_at) as last_seen_at,
            min(case when as_actor then occurred_at end) as first_active_at,
            max(case when as_actor then occurred_at end) as last_active_at,
            max(_dlt_load_id) as _dlt_load_id
        from new_sightings
        group by user_id
    ) as a
    left join logins as l on l.user_id = a.user_id and l.rank = 1
    left join names as n on n.user_id = a.user_id and n.rank = 1
    left join changes as c on c.user_id = a.user_id and c.rank = 1
    left join lifecycle as y on y.user_id = a.user_id
)

{% if is_incremental() %}
select
    b.user_id,
    case when {{ is_newer('b.login_seen_at', 'b.login', 'o.login_seen_at', 'o.login') }} and b.login is not null
        then b.login else o.login end as login,
    case when {{ is_newer('b.login_seen_at', 'b.login', 'o.login_seen_at', 'o.login') }} and b.login is not null
        then b.login_seen_at else o.login_seen_at end as login_seen_at,
    case when {{ is_newer('b.name_seen_at', 'b.name', 'o.name_seen_at', 'o.name') }} and b.name is not null
        then b.name else o.name end as name,
    case when {{ is_newer('b.name_seen_at', 'b.name', 'o.name_seen_at', 'o.name') }} and b.name is not null
        then b.name_seen_at else o.name_seen_at end as name_seen_at,
    {{ earliest('b.first_seen_at', 'o.first_seen_at') }} as first_seen_at,
    {{ latest('b.last_seen_at', 'o.last_seen_at') }} as last_seen_at,
    {{ earliest('b.first_active_at', 'o.first_active_at') }} as first_active_at,
    {{ latest('b.last_active_at', 'o.last_active_at') }} as last_active_at,
    {%- set role_newer = is_newer('b.admin_role_changed_at', 'b.admin_role_event_id', 'o.admin_role_changed_at', 'o.admin_role_event_id') ~ ' and b.admin_role_changed_at is not null' %}
    case when {{ role_newer }} then b.admin_role else o.admin_role end as admin_role,
    case when {{ role_newer }} then b.admin_role_changed_at else o.admin_role_changed_at end as admin_role_changed_at,
    case when {{ role_newer }} then b.admin_role_event_id else o.admin_role_event_id end as admin_role_event_id,
    {{ earliest('b.created_at', 'o.created_at') }} as created_at,
    {{ latest('b.deleted_at', 'o.deleted_at') }} as deleted_at,
    b._dlt_load_id
from batch as b
left join {{ this }} as o on o.user_id = b.user_id
{% else %}
select * from batch
{% endif %}
