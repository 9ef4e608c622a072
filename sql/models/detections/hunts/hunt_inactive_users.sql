{%- set t = detection_rule(
    title='Inactive users',
    severity='info',
    kind='hunt',
    tactic='Persistence',
    technique='T1078.004',
    technique_name='Valid Accounts: Cloud Accounts',
    false_positives='Users on leave; accounts kept for a shared mailbox or for an archive; service accounts that run rarely; users whose activity falls before the loaded history.',
    runbook='Send the list to the account owners or HR: deactivate accounts nobody needs (a dormant account with access is one an attacker can use unnoticed) and watch the ones kept for a sudden return to activity.',
    thresholds={'days': 30},
    references=['Sentinel: Box - Inactive users', 'hunt_inactive_admins'],
) -%}
-- Internal users (a login of a company domain; not the anonymous user, not deleted) with no activity
-- in the `days` days up to the newest event loaded, one row per user (entity: the login). Activity
-- is any event the user performed. The boundary: inactive when the last activity is `days` days or
-- more before the newest event (nothing in (newest - days, newest]); a user who never acted counts
-- from when the events first show them (a new account, a group member, a collaborator), so a user
-- created yesterday is not inactive. Sentinel's version only looked at users with a LOGIN in the
-- last 7 days, so it could not list a user who had stopped logging in.
with as_of as (
    select max(occurred_at) as as_of_at from {{ ref('stg_box__events') }}
),

quiet as (
    select
        u.*,
        coalesce(u.last_active_at, u.first_seen_at) as quiet_since,
        {{ epoch_seconds('as_of.as_of_at') }} - {{ epoch_seconds('coalesce(u.last_active_at, u.first_seen_at)') }}
            as quiet_seconds,
        as_of.as_of_at
    from {{ ref('dim_users') }} as u
    cross join as_of
    where
        not u.is_deleted
        and u.login_domain is not null
        and not u.is_external
)

select
    login as entity,
    user_id,
    login,
    name,
    admin_role_now as admin_role,
    last_active_at,
    first_seen_at,
    quiet_since,
    cast(floor(quiet_seconds / 86400.0) as bigint) as days_inactive,
    as_of_at,
    login || ' ' || case when last_active_at is null then 'never active, first seen ' else 'last active ' end
    || {{ label('quiet_since') }} || ', ' || cast(cast(floor(quiet_seconds / 86400.0) as bigint) as {{ text_type() }})
    || ' days before the newest event' as summary
from quiet
where quiet_seconds >= {{ t.days * 86400 }}
