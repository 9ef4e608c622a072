{%- set t = detection_rule(
    title='Content workflow policy violated',
    severity='medium',
    tactic='Exfiltration',
    technique='T1567',
    technique_name='Exfiltration Over Web Service',
    false_positives='A user unaware of the policy sharing a document the usual way; a collaborator uploading a file type the policy blocks by mistake.',
    runbook='Look at the item (subject) and the policy; ask the user what they meant to do; repeated sharing violations by one user, or one on sensitive content, warrant reviewing the user\'s other shares and downloads.',
    references=['Panther: Box Content Workflow Policy Violation'],
) -%}
-- A content workflow policy was violated: a sharing policy (CONTENT_WORKFLOW_SHARING_POLICY_VIOLATION,
-- content shared against an admin-set rule: data leaving over Box's web sharing, hence T1567) or an
-- upload policy (CONTENT_WORKFLOW_UPLOAD_POLICY_VIOLATION, content brought in against an admin-set
-- rule). Adding or changing a policy is administration, not a violation.
select
{% call event_finding(t, subject='coalesce(item_name, item_login)') %}
    {{ label('actor_login', 'a user') }} || ' violated '
    || case event_type when 'CONTENT_WORKFLOW_SHARING_POLICY_VIOLATION' then 'a sharing' else 'an upload' end
    || ' policy' || coalesce(' (' || policy_name || ')', '')
    || ' on ' || {{ label('coalesce(item_name, item_login)', 'an item') }}
{%- endcall %}
from {{ ref('audit_security') }}
where event_type in ('CONTENT_WORKFLOW_UPLOAD_POLICY_VIOLATION', 'CONTENT_WORKFLOW_SHARING_POLICY_VIOLATION')
