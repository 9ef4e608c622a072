{%- set t = detection_rule(
    title='Device failed the device trust check',
    severity='low',
    tactic='Initial Access',
    technique='T1078',
    technique_name='Valid Accounts',
    false_positives='A managed device whose certificate or agent lapsed; a user trying a personal device once before enrolling it.',
    runbook='Ask the user whether the device (subject) is theirs and managed; a device unknown to them means the credentials are used elsewhere: reset the password, revoke sessions and check the account\'s recent logins and downloads.',
    references=['Panther: Box Untrusted Device'],
) -%}
-- A login attempt from a device that failed Box's Device Trust check (DEVICE_TRUST_CHECK_FAILED):
-- valid credentials from an unmanaged device.
select
{% call event_finding(t, subject='coalesce(device_name, device_id, ip_address)') %}
    {{ label('actor_login', 'a user') }} || ': device '
    || {{ label('device_name', 'unnamed device') }}
    || coalesce(' (' || device_platform || ')', '')
    || ' failed the device trust check from ' || {{ label('ip_address', 'an unknown IP') }}
    || coalesce(': ' || device_trust_failure, '')
{%- endcall %}
from {{ ref('audit_security') }}
where event_type = 'DEVICE_TRUST_CHECK_FAILED'
