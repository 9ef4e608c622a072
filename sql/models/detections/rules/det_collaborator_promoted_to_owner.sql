{%- set t = detection_rule(
    title='Collaborator role raised to owner',
    severity='low',
    tactic='Privilege Escalation',
    technique='T1098',
    technique_name='Account Manipulation',
    false_positives='A hand-over of a folder to a new owner when someone changes teams or leaves.',
    runbook='Confirm the hand-over with the previous owner; an owner can delete the folder and reshare it, so an unexplained change (above all to an external person) should be reverted.',
    thresholds={'owner_roles': ['Owner', 'Co-owner']},
    references=['Sentinel: Box - Collaborator role changed to owner'],
) -%}
-- A collaborator's role was raised to owner or co-owner from a lower role: low inside the company
-- (a hand-over), high when the collaborator is outside it (partners included: ownership is more
-- than collaboration).
-- A demotion, or a change between owner roles, is not a finding.
{%- set severity -%}
    case when collaborator_is_external then 'high' else '{{ t.rule.severity }}' end
{%- endset %}
select
{% call event_finding(t, subject='coalesce(collaborator_login, collaborator_name)', severity=severity) %}
    {{ label('actor_login', 'someone') }} || ' made ' || {{ label('coalesce(collaborator_login, collaborator_name)', 'a collaborator') }}
    || case when collaborator_is_external then ' (external)' else '' end
    || ' ' || {{ label('collaborator_role') }} || ' of ' || {{ label('item_name') }}
    || ' (was ' || {{ label('previous_role') }} || ')'
{%- endcall %}
from {{ ref('audit_collaboration') }}
where
    event_type = 'COLLABORATION_ROLE_CHANGE'
    and {{ in_list('collaborator_role', t.owner_roles) }}
    and not {{ in_list('previous_role', t.owner_roles) }}
