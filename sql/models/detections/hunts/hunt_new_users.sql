{%- set t = detection_rule(
    title='New users',
    severity='info',
    kind='hunt',
    tactic='Persistence',
    technique='T1136.003',
    technique_name='Create Account: Cloud Account',
    false_positives='New hires and contractors on-boarded by HR or provisioned by the identity provider (SCIM, as a service account).',
    runbook='Match each new account against the joiners list or the on-boarding ticket; an account created by an unexpected admin, outside office hours, or deleted again soon after (deleted_at) needs the creating admin to explain it.',
    thresholds={'days': 30},
    references=['Sentinel: Box - New users', 'hunt_deleted_users'],
) -%}
-- Users created (NEW_USER) in the `days` days up to the newest event loaded, one row per new user
-- (entity: their login), with who created them and when, when they first and last acted, and
-- whether they are already deleted. The window is (newest - days, newest]: a user created exactly
-- `days` days before the newest event is not new any more. (Sentinel filed this under Privilege
-- Escalation with T1078; making an account is Persistence, T1136.)
with as_of as (
    select max(occurred_at) as as_of_at from {{ ref('stg_box__events') }}
),

creations as (
    select
        c.*,
        row_number() over (
            partition by coalesce(c.target_user_id, c.target_user_login) order by c.occurred_at asc, c.event_id asc
        ) as oldest
    from {{ ref('audit_users_and_groups') }} as c
    cross join as_of
    where
        c.event_type = 'NEW_USER'
        and coalesce(c.target_user_id, c.target_user_login) is not null
        and {{ epoch_seconds('c.occurred_at') }} > {{ epoch_seconds('as_of.as_of_at') }} - {{ t.days * 86400 }}
)

select
    coalesce(c.target_user_login, u.login, c.target_user_id) as entity,
    c.target_user_id as user_id,
    coalesce(c.target_user_login, u.login) as login,
    c.occurred_at as created_at,
    c.actor_id as created_by_id,
    c.actor_login as created_by,
    u.admin_role_now as admin_role,
    u.first_active_at,
    u.last_active_at,
    u.deleted_at,
    c.occurred_at as first_seen_at,
    c.occurred_at as last_seen_at,
    c.event_id as event_ids,
    {{ label('coalesce(c.target_user_login, u.login, c.target_user_id)', 'a user') }} || ' created by '
    || {{ label('c.actor_login', 'an admin') }} || ' at ' || {{ label(timestamp_text('c.occurred_at')) }}
    || case when u.deleted_at is not null then ' (deleted since)' else '' end as summary
from creations as c
left join {{ ref('dim_users') }} as u on u.user_id = c.target_user_id
where c.oldest = 1
