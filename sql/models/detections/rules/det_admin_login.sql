{%- set t = detection_rule(
    title='Admin logged in as a user',
    severity='medium',
    tactic='Privilege Escalation',
    technique='T1078',
    technique_name='Valid Accounts',
    false_positives='An admin troubleshooting a user\'s account at the user\'s request (a help-desk ticket); an admin preparing a leaver\'s account for hand-over.',
    runbook='Ask the admin (actor) why they entered the account (subject) and match it to a ticket; review what was done in the session (events of the subject\'s account from the same IP around the time); if unexplained, rotate the admin\'s credentials and review their other admin logins.',
    references=['Sentinel: Box - User logged in as admin'],
) -%}
-- An admin signed in to (as) a managed user's account from the Admin Console. Box's ADMIN_LOGIN
-- names the admin as the actor and the user whose account was entered as the event's source.
select
{% call event_finding(t, subject='coalesce(item_login, item_name)') %}
    {{ label('actor_login', 'an admin') }} || ' logged in as '
    || {{ label('coalesce(item_login, item_name)', 'a managed user') }}
    || ' from ' || {{ label('ip_address', 'an unknown IP') }}
{%- endcall %}
from {{ ref('audit_authentication') }}
where event_type = 'ADMIN_LOGIN'
