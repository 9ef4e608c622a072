{%- set t = detection_rule(
    title='Access token for an application never seen before',
    severity='medium',
    tactic='Defense Evasion',
    technique='T1550.001',
    technique_name='Use Alternate Authentication Material: Application Access Token',
    false_positives='A newly approved integration on its first day; check the app against the list of authorised apps.',
    runbook='Identify the application (subject) and who authorised it; an unknown app holding a user token can read what the user can: revoke the token and the app\'s authorisation if it is not sanctioned.',
    thresholds={'baseline_days': 14},
    references=['Panther: Box event triggered externally (related)'],
) -%}
-- A user authorises an application (an OAuth2 access token is created for it) that no earlier
-- event of the enterprise names, once the warehouse holds `baseline_days` of history (before that
-- every app is "new").
with tokens as (
    select
        *,
        coalesce(client_id, service_id, item_id) as app_key,
        {{ epoch_seconds('occurred_at') }} as at_second
    from {{ ref('audit_apps_and_tokens') }}
    where event_type = 'USER_AUTHENTICATE_OAUTH2_ACCESS_TOKEN_CREATE'
),

first_tokens as (
    select
        t.*,
        row_number() over (partition by app_key order by occurred_at, event_id) as nth
    from tokens as t
)

select
{% call event_finding(t, subject='coalesce(service_name, item_name, app_key)', entity='app_key') %}
    {{ label('actor_login', 'a user') }} || ' authorised ' || {{ label('coalesce(service_name, item_name)', 'an application') }}
    || ' (' || {{ label('app_key') }} || '), an application not seen before'
{%- endcall %}
from first_tokens
where nth = 1 and app_key is not null and {{ after_history_of('at_second', t.baseline_days) }}
