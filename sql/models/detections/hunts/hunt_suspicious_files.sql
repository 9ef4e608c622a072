{%- set t = detection_rule(
    title='Suspicious or sensitive files',
    severity='info',
    kind='hunt',
    tactic='Command and Control',
    technique='T1105',
    technique_name='Ingress Tool Transfer',
    false_positives='IT distributing installers or scripts through Box; developers storing shell scripts; key and certificate files kept on purpose in a restricted folder; names that merely contain a pattern ("secretary", "password-policy.pdf").',
    runbook='Open the item (item_id) and its folder: an executable or a double extension uploaded by a user who does not handle software, or a file renamed away from an executable name, may be malware or a tool staged for download (check it against the EDR or a sandbox); a credentials file (keys, password lists, key stores) should be moved to a secrets manager, its secrets rotated, and its sharing and downloads reviewed.',
    thresholds={
        'days': 30,
        'executable_extensions': [
            'exe', 'dll', 'scr', 'pif', 'cpl', 'bat', 'cmd', 'ps1', 'psm1', 'vbs', 'vbe', 'js', 'jse', 'wsf',
            'wsh', 'hta', 'msi', 'msp', 'jar', 'lnk', 'sh', 'iso', 'img', 'apk',
        ],
        'decoy_extensions': [
            'pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'txt', 'rtf', 'csv', 'jpg', 'jpeg', 'png', 'gif', 'zip',
        ],
        'sensitive_name_patterns': [
            'password', 'passwd', 'credential', 'secret', 'id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519',
            '.kdbx', '.pem', '.key', '.pfx', '.p12', '.ppk', '.ovpn', '.netrc', '.npmrc', '.pgpass', '.htpasswd', '.env',
        ],
    },
    references=['Sentinel: Box - Suspicious or sensitive files', 'MITRE T1036.007 Double File Extension', 'MITRE T1552.001 Credentials In Files'],
) -%}
-- Files and folders uploaded, created, copied, moved or renamed in the `days` days up to the newest
-- event loaded whose name is suspicious, one row per item and name (entity: the name):
--   executable (files only): the name ends with `.` and one of `executable_extensions` (`.exe`,
--     `.ps1`, ...);
--   double extension (files only): an executable extension right after one of `decoy_extensions`,
--     spaces between allowed (`invoice.pdf.exe`, `invoice.pdf   .exe`: T1036.007, masquerading);
--   sensitive name (files and folders): one of `sensitive_name_patterns`; a pattern that starts
--     with a dot is an extension and must end the name (`.key` is `server.key`, not `keynote.pdf`),
--     any other is a part of the name (`password` is in `Passwords 2026.xlsx`).
-- Matching ignores case and is literal (no wildcards: the `_` of `id_rsa` is an underscore; parts
-- are found with replace() and endings with right(), not LIKE). A rename is matched on both names:
-- renaming `payload.exe` to `holiday.jpg` hides an executable (`renamed_away`). Sentinel's version
-- matched names that merely contain `key` ("keynote", "monkey") and looked at every event,
-- downloads and previews included.
{#- the lists normalised: lower case; extensions without their leading dot -#}
{%- set exe = t.executable_extensions | map('lower') | map('trim', '.') | reject('equalto', '') | list %}
{%- set decoys = t.decoy_extensions | map('lower') | map('trim', '.') | reject('equalto', '') | list %}
{%- set patterns = t.sensitive_name_patterns | map('lower') | reject('equalto', '') | list %}
with as_of as (
    select max(occurred_at) as as_of_at from {{ ref('stg_box__events') }}
),

events as (
    select e.*
    from {{ ref('audit_content_changes') }} as e
    cross join as_of
    where
        e.event_type in (
            'UPLOAD', 'ITEM_UPLOAD', 'ITEM_CREATE', 'COPY', 'ITEM_COPY', 'MOVE', 'ITEM_MOVE', 'RENAME', 'ITEM_RENAME'
        )
        and coalesce(e.item_type, 'file') in ('file', 'folder')
        and {{ epoch_seconds('e.occurred_at') }} > {{ epoch_seconds('as_of.as_of_at') }} - {{ t.days * 86400 }}
),

names as (
    select event_id, event_type, occurred_at, actor_id, actor_login, item_id, item_type, owner_login,
        item_name as matched_name, false as is_previous_name
    from events
    where item_name is not null and item_name <> ''
    union all
    select event_id, event_type, occurred_at, actor_id, actor_login, item_id, item_type, owner_login,
        previous_name, true
    from events
    where previous_name is not null and previous_name <> '' and previous_name <> coalesce(item_name, '')
),

stems as (
    -- the name without its executable extension, spaces before it trimmed (NULL: not a file with an
    -- executable name)
    select
        n.*,
        lower(n.matched_name) as lower_name,
        {%- if exe %}
        case
            when coalesce(n.item_type, 'file') <> 'file' then null
            {%- for x in exe %}
            when right(lower(n.matched_name), {{ (x | length) + 1 }}) = '.{{ x | replace("'", "''") }}'
                then rtrim(substr(lower(n.matched_name), 1, length(n.matched_name) - {{ (x | length) + 1 }}))
            {%- endfor %}
        end as executable_stem
        {%- else %}
        cast(null as {{ text_type() }}) as executable_stem
        {%- endif %}
    from names as n
),

flagged as (
    select
        s.*,
        s.executable_stem is not null as is_executable,
        {%- if decoys %}
        coalesce(
            {%- for d in decoys %}
            right(s.executable_stem, {{ (d | length) + 1 }}) = '.{{ d | replace("'", "''") }}'{% if not loop.last %} or{% endif %}
            {%- endfor %}
        , false) as is_double_extension,
        {%- else %}
        false as is_double_extension,
        {%- endif %}
        {%- if patterns %}
        (
            {%- for p in patterns %}
            {%- set q = p | replace("'", "''") %}
            {%- if p.startswith('.') %}
            right(s.lower_name, {{ p | length }}) = '{{ q }}'{% if not loop.last %} or{% endif %}
            {%- else %}
            s.lower_name <> replace(s.lower_name, '{{ q }}', ''){% if not loop.last %} or{% endif %}
            {%- endif %}
            {%- endfor %}
        ) as is_sensitive_name
        {%- else %}
        false as is_sensitive_name
        {%- endif %}
    from stems as s
),

suspicious as (
    select
        f.*,
        coalesce(f.item_id, f.matched_name) as item_key,
        row_number() over (
            partition by coalesce(f.item_id, f.matched_name), f.matched_name order by f.occurred_at desc, f.event_id desc
        ) as newest
    from flagged as f
    where f.is_executable or f.is_sensitive_name
),

per_item as (
    select
        item_key,
        matched_name,
        max(item_id) as item_id,
        max(item_type) as item_type,
        max(owner_login) as owner_login,
        max(case when is_executable then 1 else 0 end) = 1 as is_executable,
        max(case when is_double_extension then 1 else 0 end) = 1 as is_double_extension,
        max(case when is_sensitive_name then 1 else 0 end) = 1 as is_sensitive_name,
        max(case when is_previous_name then 1 else 0 end) = 1 as renamed_away,
        count(distinct actor_id) as actor_count,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as event_count,
        {{ id_list('event_id') }} as event_ids
    from suspicious
    group by item_key, matched_name
)

select
    p.matched_name as entity,
    p.item_id,
    p.item_type,
    p.owner_login,
    substr(
        case when p.is_double_extension then ', double extension' when p.is_executable then ', executable' else '' end
        || case when p.is_sensitive_name then ', sensitive name' else '' end
        || case when p.renamed_away then ', renamed away' else '' end,
        3
    ) as reasons,
    p.is_executable,
    p.is_double_extension,
    p.is_sensitive_name,
    p.renamed_away,
    n.actor_id,
    n.actor_login,
    n.event_type as last_event_type,
    p.actor_count,
    p.first_seen_at,
    p.last_seen_at,
    p.event_count,
    p.event_ids,
    p.matched_name || ' (' || {{ label('p.item_type', 'item') }} || ' ' || {{ label('p.item_id') }} || '): '
    || case when p.is_double_extension then 'double extension' when p.is_executable then 'executable' else 'sensitive name' end
    || case when p.is_sensitive_name and p.is_executable then ', sensitive name' else '' end
    || case when p.renamed_away then ', renamed away from this name' else '' end
    || '; last ' || lower(n.event_type) || ' by ' || {{ label('n.actor_login', 'unknown') }} as summary
from per_item as p
inner join suspicious as n on n.item_key = p.item_key and n.matched_name = p.matched_name and n.newest = 1
