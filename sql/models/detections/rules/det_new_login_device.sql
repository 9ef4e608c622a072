{%- set t = detection_rule(
    title='Login from a new device',
    severity='info',
    tactic='Initial Access',
    technique='T1078',
    technique_name='Valid Accounts',
    false_positives='A new or reinstalled laptop or phone, a new browser profile; devices rolled out in the office (trusted IP ranges are left out for that reason).',
    runbook='Check that the user recognises the device (subject) and the IP; look for other signals on the account the same day (failed logins, Shield alerts, logins from new networks); if not recognised, revoke the device and the user\'s sessions and reset the password.',
    references=['Panther: Box New Login Device'],
) -%}
-- A user logged in from a device Box had not seen for them (ADD_LOGIN_ACTIVITY_DEVICE). A new
-- device first seen from a trusted range (office, VPN: var `trusted_ip_ranges`) is not a finding.
select
{% call event_finding(t, subject='coalesce(device_name, device_id)') %}
    {{ label('actor_login', 'a user') }} || ' logged in from a new device: '
    || {{ label('device_name', 'unnamed device') }}
    || coalesce(' (' || device_platform || ')', '')
    || ' from ' || {{ label('ip_address', 'an unknown IP') }}
{%- endcall %}
from {{ ref('audit_authentication') }}
where
    event_type = 'ADD_LOGIN_ACTIVITY_DEVICE'
    and not {{ is_trusted_ip('ip_address') }}
