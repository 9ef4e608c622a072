{%- set t = detection_rule(
    title='Legal hold or retention removed',
    severity='high',
    tactic='Impact',
    technique='T1485',
    technique_name='Data Destruction',
    false_positives='A legal hold released at the end of a case on counsel\'s instruction; a retention policy retired and replaced by a new one (look for the DATA_RETENTION_CREATE_RETENTION or assignment next to it).',
    runbook='Confirm with legal / records management that the removal (subject: the policy) was instructed; if not, recreate the hold or retention policy at once (content under it can now be deleted for good), review deletions and trash purges since, and review the acting admin account.',
    covers=['LEGAL_HOLD_POLICY_DELETE', 'LEGAL_HOLD_ASSIGNMENT_DELETE', 'DATA_RETENTION_REMOVE_RETENTION'],
    references=['Box docs: legal hold and retention events', 'Catalog: LEGAL_HOLD_POLICY_DELETE, LEGAL_HOLD_ASSIGNMENT_DELETE, DATA_RETENTION_REMOVE_RETENTION'],
) -%}
-- A legal hold policy or assignment deleted, or a retention policy removed: the protection against
-- deletion is lifted, the usual step before destroying content (or its history) for good. Creating
-- or updating a hold is not a finding. (The catalog has no retention-assignment removal type.)
select
{% call event_finding(t, subject='coalesce(policy_name, policy_id, item_name)') %}
    {{ label('actor_login', 'an admin') }} || ' '
    || case event_type
        when 'LEGAL_HOLD_POLICY_DELETE' then 'deleted legal hold policy'
        when 'LEGAL_HOLD_ASSIGNMENT_DELETE' then 'removed an assignment of legal hold policy'
        else 'removed retention policy'
    end
    || ' ' || {{ label('coalesce(policy_name, policy_id, item_name)', '(unnamed)') }}
{%- endcall %}
from {{ ref('audit_governance') }}
where event_type in ('LEGAL_HOLD_POLICY_DELETE', 'LEGAL_HOLD_ASSIGNMENT_DELETE', 'DATA_RETENTION_REMOVE_RETENTION')
