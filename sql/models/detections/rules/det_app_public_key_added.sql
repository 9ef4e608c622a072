{%- set t = detection_rule(
    title='Public key added to an application',
    severity='high',
    tactic='Persistence',
    technique='T1098.001',
    technique_name='Account Manipulation: Additional Cloud Credentials',
    false_positives='A developer rotating a JWT application\'s key pair as planned (usually followed by APPLICATION_PUBLIC_KEY_DELETED for the old key); a new server-side integration set up by the app\'s owners.',
    runbook='Confirm with the app\'s owners that the key (subject: the application) was added on purpose and who holds the private key; if not, delete the key in the Developer Console, review what the app\'s service account did since, and check who else can edit the app.',
    references=['Box docs: APPLICATION_PUBLIC_KEY_ADDED', 'MITRE T1098.001'],
) -%}
-- A public key added to an application (APPLICATION_PUBLIC_KEY_ADDED): a new JWT key pair is a new
-- credential that can act as the app (and, for a server-side app, as its service account or any
-- user it may impersonate), without a password or 2FA. Deleting a key is not a finding.
select
{% call event_finding(t, subject='coalesce(item_name, service_name, client_id)') %}
    {{ label('actor_login', 'a user') }} || ' added a public key to application '
    || {{ label('coalesce(item_name, service_name, client_id)', '(unnamed)') }}
    || coalesce(' (client ' || client_id || ')', '')
{%- endcall %}
from {{ ref('audit_apps_and_tokens') }}
where event_type = 'APPLICATION_PUBLIC_KEY_ADDED'
