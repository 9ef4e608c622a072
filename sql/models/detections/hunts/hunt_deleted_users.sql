{%- set t = detection_rule(
    title='Deleted users',
    severity='info',
    kind='hunt',
    tactic='Impact',
    technique='T1531',
    technique_name='Account Access Removal',
    false_positives='Leavers off-boarded by HR or by the identity provider (SCIM provisioning runs as a service account); test accounts cleaned up.',
    runbook='Match each deletion against the leavers list or the off-boarding ticket; a deletion nobody asked for, many deletions by one admin, or an admin deleting another admin is a reason to review that admin account (and to restore the users from the trash within Box\'s retention).',
    thresholds={'days': 30},
    references=['Sentinel: Box - Deleted users', 'hunt_new_users'],
) -%}
-- Users deleted (DELETE_USER) in the `days` days up to the newest event loaded, one row per deleted
-- user (entity: their login), with who deleted them and when, and whether the account was still
-- active after the deletion (a deleted account in use, or one deleted and made again). Sentinel's
-- version listed the deletions but not who deleted the users.
with as_of as (
    select max(occurred_at) as as_of_at from {{ ref('stg_box__events') }}
),

deletions as (
    select
        d.*,
        row_number() over (
            partition by coalesce(d.target_user_id, d.target_user_login) order by d.occurred_at desc, d.event_id desc
        ) as newest
    from {{ ref('audit_users_and_groups') }} as d
    cross join as_of
    where
        d.event_type = 'DELETE_USER'
        and coalesce(d.target_user_id, d.target_user_login) is not null
        and {{ epoch_seconds('d.occurred_at') }} > {{ epoch_seconds('as_of.as_of_at') }} - {{ t.days * 86400 }}
),

per_user as (
    select
        coalesce(target_user_id, target_user_login) as user_key,
        max(target_user_id) as user_id,
        max(target_user_login) as login,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as event_count,
        {{ id_list('event_id') }} as event_ids
    from deletions
    group by coalesce(target_user_id, target_user_login)
)

select
    coalesce(p.login, u.login, p.user_id) as entity,
    p.user_id,
    coalesce(p.login, u.login) as login,
    u.admin_role_now as admin_role,
    d.occurred_at as deleted_at,
    d.actor_id as deleted_by_id,
    d.actor_login as deleted_by,
    u.last_active_at,
    coalesce(u.last_active_at > d.occurred_at, false) as active_after_deletion,
    p.first_seen_at,
    p.last_seen_at,
    p.event_count,
    p.event_ids,
    {{ label('coalesce(p.login, u.login, p.user_id)', 'a user') }} || ' deleted by '
    || {{ label('d.actor_login', 'an admin') }} || ' at ' || {{ label(timestamp_text('d.occurred_at')) }}
    || case when u.last_active_at > d.occurred_at then ' (active after the deletion)' else '' end as summary
from per_user as p
inner join deletions as d on coalesce(d.target_user_id, d.target_user_login) = p.user_key and d.newest = 1
left join {{ ref('dim_users') }} as u on u.user_id = p.user_id
