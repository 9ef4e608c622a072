{%- set t = detection_rule(
    title='Brute-force login',
    severity='medium',
    tactic='Credential Access',
    technique='T1110.001',
    technique_name='Brute Force: Password Guessing',
    false_positives='A user who forgot a changed password and retries from a saved session; an old phone with a stale password.',
    runbook='Check the source IPs (subject) against the user\'s usual ones; if they are foreign to the user, reset the password, require 2FA and watch for a LOGIN from the same IP.',
    thresholds={'failures': 5, 'window_minutes': 60},
    references=['Panther: Box Brute Force Login', 'Sentinel: Box - Many failed logins'],
) -%}
-- Many failed logins for one user within a rolling window (password guessing against one account;
-- guessing across many accounts from one address is `password_spray`).
with failures as (
    select *
    from {{ ref('audit_authentication') }}
    where event_type = 'FAILED_LOGIN' and actor_id is not null and not actor_is_anonymous
)

{% call burst_findings(t, 'failures', 'actor_id', t.window_minutes, t.failures,
                       subject=counted('count(distinct ip_address)', 'source IP')) -%}
    {{ counted('count(*)', 'failed login') }} || ' for ' || {{ label('max(actor_login)', 'a user') }}
    || ', ' || cast(max(burst_peak) as {{ text_type() }}) || ' within {{ t.window_minutes }} minutes'
{%- endcall %}
