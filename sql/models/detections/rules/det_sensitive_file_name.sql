{%- set t = detection_rule(
    title='File with a sensitive name',
    severity='low',
    tactic='Credential Access',
    technique='T1552.001',
    technique_name='Unsecured Credentials: Credentials In Files',
    false_positives='Policy documents about passwords ("password policy.pdf"), training material, certificates shared on purpose by IT; short patterns match inside words (ssn in "classnotes").',
    runbook='Look at the item (subject) and who can reach it (collaborators, shared links); ask the owner (actor) to move secrets into a password manager or vault and to rotate any credential that was in it if the item was shared outside.',
    thresholds={'sensitive_name_patterns': ['password', 'passwd', 'credential', 'secret', 'private key', 'id_rsa', '.kdbx', '.pem', '.pfx', 'ssn']},
    references=['Sentinel: Box - File with sensitive name'],
) -%}
-- A file (or folder) whose name contains one of `sensitive_name_patterns` (plain text, any case, not
-- wildcards) was uploaded, shared (a shared link enabled) or renamed to such a name. A rename from a
-- name that already matched is not new. The first matching pattern is named in the summary.
{#- per name column, the first pattern it contains (or NULL), as a CASE. "Contains" is tested with
    replace(), which has no wildcards (in LIKE the `_` of id_rsa would match any character). -#}
{%- set patterns = t.sensitive_name_patterns | map('lower') | reject('equalto', '') | list %}
{%- set matching = {} %}
{%- for column in ['item_name', 'previous_name'] %}
  {%- set cases = [] %}
  {%- for p in patterns %}
    {%- do cases.append("when lower(" ~ column ~ ") <> replace(lower(" ~ column ~ "), '" ~ (p | replace("'", "''")) ~ "', '') then '" ~ (p | replace("'", "''")) ~ "'") %}
  {%- endfor %}
  {%- do matching.update({loop.index: ('case ' ~ (cases | join(' ')) ~ ' end') if cases else 'cast(null as ' ~ text_type() ~ ')'}) %}
{%- endfor %}
with placed as (
    select *, {{ json_text('additional_details', 'old_name') }} as previous_name
    from {{ ref('stg_box__events') }}
    where event_type in ('UPLOAD', 'RENAME', 'SHARE') and item_type in ('file', 'folder')
),

named as (
    select *, {{ matching[1] }} as pattern, {{ matching[2] }} as previous_pattern
    from placed
)

select
{% call event_finding(t, subject='item_name') %}
    {{ label('actor_login', 'a user') }} || ' '
    || case event_type
        when 'RENAME' then 'renamed ' || {{ label('previous_name', 'an item') }} || ' to'
        when 'SHARE' then 'shared'
        else 'uploaded'
    end
    || ' ' || {{ label('item_type', 'item') }} || ' ' || {{ label('item_name') }}
    || ' (name matches "' || pattern || '")'
{%- endcall %}
from named
where
    pattern is not null
    and not (event_type = 'RENAME' and previous_pattern is not null)
