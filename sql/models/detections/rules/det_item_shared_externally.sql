{%- set t = detection_rule(
    title='External collaborator accepted access',
    severity='low',
    tactic='Exfiltration',
    technique='T1567',
    technique_name='Exfiltration Over Web Service',
    false_positives='Expected work with a client or supplier not yet in partner_domains.',
    runbook='Review what the folder holds and whether the person still needs it; the invitation (external_collab_invite) carries the role and who invited them.',
    references=['Panther: Box Item Shared Externally', 'Sentinel: Box - Item shared to an external entity'],
) -%}
-- The moment an invitation becomes access: a person outside the company and its partner domains
-- accepts a collaboration (COLLABORATION_ACCEPT), so content is now shared with them.
select
{% call event_finding(t, subject='collaborator_login') %}
    {{ label('collaborator_login', 'an external person') }} || ' now has ' || {{ label('collaborator_role', 'collaborator') }}
    || ' access to ' || {{ label('item_name') }} || ' (owner ' || {{ label('owner_login') }} || ')'
{%- endcall %}
from {{ ref('audit_collaboration') }}
where
    event_type = 'COLLABORATION_ACCEPT'
    and collaborator_is_external
    and not {{ is_partner_domain('collaborator_domain') }}
