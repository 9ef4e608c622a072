{%- set t = detection_rule(
    title='Malicious file',
    severity='critical',
    tactic='Execution',
    technique='T1204.002',
    technique_name='User Execution: Malicious File',
    false_positives='A security team\'s test file (EICAR) or malware samples kept on purpose by researchers.',
    runbook='Quarantine or delete the file (subject); find who downloaded, previewed or synced it since it was uploaded (file access events on its item id) and check those devices with EDR; ask the owner where it came from; look for the same file name elsewhere.',
    covers=['FILE_MARKED_MALICIOUS'],
    references=['Panther: Box Malicious Content'],
) -%}
-- Box's virus scan marked a file malicious (FILE_MARKED_MALICIOUS). The summary names the file, the
-- malware (when Box names it) and the file's owner.
select
{% call event_finding(t, subject='coalesce(item_name, item_id)') %}
    'File ' || {{ label('coalesce(item_name, item_id)', '(unnamed)') }} || ' marked malicious ('
    || {{ label('coalesce(malware_name, shield_malware_name)', 'malware not named') }} || '), owned by '
    || {{ label('coalesce(owner_login, owner_name, actor_login)', 'an unknown owner') }}
    || coalesce(' in ' || parent_folder_name, '')
{%- endcall %}
from {{ ref('audit_security') }}
where event_type = 'FILE_MARKED_MALICIOUS'
