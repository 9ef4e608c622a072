{%- set t = detection_rule(
    title='Access granted to Box support',
    severity='medium',
    tactic='Initial Access',
    technique='T1199',
    technique_name='Trusted Relationship',
    false_positives='A user working an open support case with Box who was asked to grant access (check for a Box case number); an admin doing so for a tenant-wide case.',
    runbook='Confirm with the user (actor) that a Box support case needs the access and note its number; an unexpected grant may be a social-engineering attempt ("Box support" asking for access): revoke it (ACCESS_REVOKED follows) and warn the user.',
    references=['Panther: Box Access Granted'],
) -%}
-- A user granted Box support access to their account (ACCESS_GRANTED): a third party, trusted by
-- contract, can now act in the account. Revoking it (ACCESS_REVOKED) is not a finding.
select
{% call event_finding(t, subject='coalesce(item_login, item_name, actor_login)') %}
    {{ label('actor_login', 'a user') }} || ' granted Box support access to '
    || case
        when coalesce(item_login, actor_login) = actor_login or coalesce(item_login, item_name) is null
            then 'their account'
        else 'the account of ' || coalesce(item_login, item_name)
    end
    || ' from ' || {{ label('ip_address', 'an unknown IP') }}
{%- endcall %}
from {{ ref('audit_users_and_groups') }}
where event_type = 'ACCESS_GRANTED'
