{%- set t = detection_rule(
    title='Inactive admins',
    severity='info',
    kind='hunt',
    tactic='Persistence',
    technique='T1078.004',
    technique_name='Valid Accounts: Cloud Accounts',
    false_positives='An admin on leave; a break-glass admin account kept for emergencies (it should be listed, and its use checked); an admin who only works in the Admin Console on days with no events of theirs in the loaded history.',
    runbook='For each admin quiet for `days` days or more, ask whether the admin rights are still needed; remove them (or the account) if not. A dormant admin that becomes active again without a reason is a takeover to investigate.',
    thresholds={
        'days': 30,
        'admin_event_types': admin_only_event_types(),
    },
    references=['Sentinel: Box - Inactive admin users', 'hunt_inactive_users', 'hunt_admin_ip_addresses'],
) -%}
-- Admins and co-admins with no activity in the `days` days up to the newest event loaded, one row
-- per admin (entity: the login). An admin is a user who is an admin or co-admin now (cur_admins), or
-- who performed an admin-only event (`admin_event_types`), has not been deleted and has never had
-- a role change that left them without admin rights. Activity is any event the user performed.
-- The boundary: an admin is inactive when their last activity is `days` days or more before the
-- newest event (nothing in the half-open window (newest - days, newest]). An admin who never acted
-- counts from when the events first show them (their promotion, say), so an admin made yesterday
-- is not "inactive". Sentinel's version could not list an inactive admin: it kept admins with an
-- ADMIN_LOGIN (an admin entering a user's account, not an admin's own login) in the last 7 days.
with as_of as (
    select max(occurred_at) as as_of_at from {{ ref('stg_box__events') }}
),

role_changed as (
    select distinct target_user_id as user_id
    from {{ ref('audit_users_and_groups') }}
    where event_type = 'CHANGE_ADMIN_ROLE' and target_user_id is not null
),

admins as (
    -- (union all, then distinct: BigQuery has no bare UNION)
    select distinct user_id
    from (
        select user_id from {{ ref('cur_admins') }}
        union all
        select e.actor_id
        from {{ ref('stg_box__events') }} as e
        left join role_changed as r on r.user_id = e.actor_id
        where
            {{ in_list('e.event_type', t.admin_event_types) }}
            and e.actor_id is not null
            and not e.actor_is_anonymous
            and r.user_id is null
    ) as a
),

quiet as (
    select
        u.*,
        coalesce(u.last_active_at, u.first_seen_at) as quiet_since,
        {{ epoch_seconds('as_of.as_of_at') }} - {{ epoch_seconds('coalesce(u.last_active_at, u.first_seen_at)') }}
            as quiet_seconds,
        as_of.as_of_at
    from {{ ref('dim_users') }} as u
    inner join admins as a on a.user_id = u.user_id
    cross join as_of
    where not u.is_deleted
)

select
    coalesce(login, user_id) as entity,
    user_id,
    login,
    name,
    case when admin_role_now in ('admin', 'coadmin') then admin_role_now else 'admin (by its events)' end as admin_role,
    last_active_at,
    first_seen_at,
    quiet_since,
    cast(floor(quiet_seconds / 86400.0) as bigint) as days_inactive,
    as_of_at,
    {{ label('coalesce(login, user_id)', 'an admin') }} || ' ('
    || case when admin_role_now in ('admin', 'coadmin') then admin_role_now else 'admin by its events' end
    || ') ' || case when last_active_at is null then 'never active, first seen ' else 'last active ' end
    || {{ label('quiet_since') }} || ', ' || cast(cast(floor(quiet_seconds / 86400.0) as bigint) as {{ text_type() }})
    || ' days before the newest event' as summary
from quiet
where quiet_seconds >= {{ t.days * 86400 }}
