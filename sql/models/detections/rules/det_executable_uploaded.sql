{%- set t = detection_rule(
    title='Executable file put in a folder',
    severity='medium',
    tactic='Command and Control',
    technique='T1105',
    technique_name='Ingress Tool Transfer',
    false_positives='IT or developers sharing installers and scripts through Box on purpose (a software folder); build artefacts synced by a developer.',
    runbook='Check the file (subject) and the folder it landed in, who can reach that folder and who downloaded it since; ask the uploader (actor) where it came from; if it is unexpected, quarantine it and have it scanned.',
    thresholds={'executable_extensions': ['exe', 'dll', 'msi', 'bat', 'cmd', 'ps1', 'vbs', 'js', 'jar', 'scr', 'com', 'sh', 'apk', 'dmg', 'pkg']},
    references=['Sentinel: Box - Executable file in folder'],
) -%}
-- A file whose extension is in `executable_extensions` was uploaded, copied or moved into a folder.
-- The extension is the end of the name after its last dot, in any case (the name ends in `.exe`):
-- `setup.EXE` is one, `setup.exe.txt`, `archive.exe.pdf` and `notes.txt` are not. Folders are not
-- files, whatever their name.
with placed as (
    select
        *,
        {{ file_extension('item_name', t.executable_extensions) }} as extension
    from {{ ref('audit_content_changes') }}
    where event_type in ('UPLOAD', 'COPY', 'MOVE') and item_type = 'file'
)

select
{% call event_finding(t, subject='item_name') %}
    {{ label('actor_login', 'a user') }} || ' '
    || case event_type when 'COPY' then 'copied' when 'MOVE' then 'moved' else 'uploaded' end
    || ' executable ' || {{ label('item_name') }} || ' (.' || extension || ') into folder '
    || {{ label('coalesce(destination_folder_name, parent_folder_name)', '(unknown)') }}
{%- endcall %}
from placed
where extension is not null
