{%- set t = detection_rule(
    title='External person invited to collaborate',
    severity='medium',
    tactic='Exfiltration',
    technique='T1567',
    technique_name='Exfiltration Over Web Service',
    false_positives='A new client or supplier not yet in partner_domains; a personal address used by a contractor.',
    runbook='Check the invited address and the folder (summary): is the person known, is the role needed? Owners and co-owners can reshare and delete; downgrade or remove the collaboration if not justified, and add trusted partners to partner_domains.',
    thresholds={'high_roles': ['Co-owner', 'Owner'], 'medium_roles': ['Editor', 'Viewer Uploader', 'Previewer Uploader', 'Uploader']},
    references=['Sentinel: Box - Item shared to an external entity', 'Panther: Box Item Shared Externally'],
) -%}
-- Someone outside the company (and outside the partner domains) is invited to collaborate. The
-- severity follows the role: co-owners and owners (they can reshare and delete) high, roles that
-- can add or change content medium, viewers and previewers low.
{%- set severity -%}
    case
        when {{ in_list('collaborator_role', t.high_roles) }} then 'high'
        when {{ in_list('collaborator_role', t.medium_roles) }} then 'medium'
        else 'low'
    end
{%- endset %}
select
{% call event_finding(t, subject='collaborator_login', severity=severity) %}
    {{ label('actor_login', 'someone') }} || ' invited ' || {{ label('collaborator_login', 'an external person') }}
    || ' as ' || {{ label('collaborator_role') }} || ' on ' || {{ label('item_name') }}
{%- endcall %}
from {{ ref('audit_collaboration') }}
where
    event_type = 'COLLABORATION_INVITE'
    and collaborator_is_external
    and not {{ is_partner_domain('collaborator_domain') }}
