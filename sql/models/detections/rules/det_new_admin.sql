{%- set t = detection_rule(
    title='User made an admin',
    severity='high',
    tactic='Privilege Escalation',
    technique='T1098',
    technique_name='Account Manipulation',
    false_positives='A planned hand-over of administration; check the change ticket.',
    runbook='Confirm with the admin who granted it (actor) that the change was planned; if not, revert the role, review what the new admin did since, and rotate the granting admin\'s credentials.',
    covers=['CHANGE_ADMIN_ROLE'],
    references=['Sentinel: Box - User logged in as admin (related)', 'Panther: Box Access Granted (related)'],
) -%}
-- A promotion to (co-)admin. The actor is whoever granted it; the entity is the event.
select
{% call event_finding(t, subject='target_user_login') %}
    {{ label('actor_login', 'an admin') }} || ' made ' || {{ label('target_user_login', 'a user') }} || ' '
    || {{ label('new_admin_role') }} || ' (was ' || coalesce(previous_admin_role, 'user') || ')'
{%- endcall %}
from {{ ref('audit_users_and_groups') }}
where
    event_type = 'CHANGE_ADMIN_ROLE'
    and (case new_admin_role when 'admin' then 2 when 'coadmin' then 1 else 0 end)
    > (case previous_admin_role when 'admin' then 2 when 'coadmin' then 1 else 0 end)
