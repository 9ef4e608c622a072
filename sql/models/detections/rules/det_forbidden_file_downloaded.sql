{%- set t = detection_rule(
    title='Forbidden file type downloaded',
    severity='low',
    tactic='Execution',
    technique='T1204.002',
    technique_name='User Execution: Malicious File',
    false_positives='IT staff downloading installers they keep in Box; a user fetching a disk image a vendor shared. The default list is an example: edit `forbidden_extensions` to the types your policy forbids.',
    runbook='Check the file (subject): who put it in Box, whether it is known software, and the downloading device (actor, IP); if it is not expected, have the device scanned and the file quarantined.',
    thresholds={'forbidden_extensions': ['exe', 'msi', 'bat', 'ps1', 'vbs', 'scr', 'iso', 'torrent']},
    references=['Sentinel: Box - Forbidden file type downloaded'],
) -%}
-- A file whose extension (the end of its name after the last dot, any case) is in
-- `forbidden_extensions` was downloaded (DOWNLOAD, or a watermarked download), by a user or
-- anonymously through a shared link. The default list is an example a SOC edits (var
-- `rule_thresholds`). Previews are not downloads; service accounts (var `service_accounts`:
-- backups, migrations) are left out.
with downloads as (
    select
        *,
        {{ file_extension('item_name', t.forbidden_extensions) }} as extension
    from {{ ref('audit_file_access') }}
    where
        event_type in ('DOWNLOAD', 'FILE_WATERMARKED_DOWNLOAD')
        and item_type = 'file'
        and not {{ is_service_account('actor_login') }}
)

select
{% call event_finding(t, subject='item_name') %}
    case when actor_is_anonymous then 'An anonymous user (shared link)' else {{ label('actor_login', 'a user') }} end
    || ' downloaded ' || {{ label('item_name') }} || ' (forbidden type .' || extension || ')'
    || ' from ' || {{ label('ip_address', 'an unknown IP') }}
{%- endcall %}
from downloads
where extension is not null
