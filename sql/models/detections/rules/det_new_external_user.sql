{%- set t = detection_rule(
    title='New external user',
    severity='low',
    tactic='Persistence',
    technique='T1136',
    technique_name='Create Account',
    false_positives='A new client contact invited for a project; every first collaboration with someone new.',
    runbook='Check who invited the person and why; confirm the address belongs to the organisation it claims (look-alike domains).',
    thresholds={'baseline_days': 7},
    references=['Sentinel: Box - New external user (fixed: it compared a login with itself)'],
) -%}
-- The first time an external address (outside the company and its partner domains) appears in the
-- enterprise, as the actor or as a collaborator, once the warehouse holds `baseline_days` of history
-- to compare with. Sentinel's rule compared each login with itself and so never fired.
with appearances as (
    select event_id, occurred_at, occurred_on, actor_id, actor_login, lower(actor_login) as external_login, _dlt_load_id
    from {{ ref('stg_box__events') }}
    where actor_is_external and not actor_is_anonymous and not {{ is_partner_domain('actor_domain') }}
    union all
    select event_id, occurred_at, occurred_on, actor_id, actor_login, lower(accessible_by_login) as external_login, _dlt_load_id
    from {{ ref('stg_box__events') }}
    where accessible_by_is_external and not {{ is_partner_domain('accessible_by_domain') }}
),

firsts as (
    select
        a.*,
        {{ epoch_seconds('a.occurred_at') }} as at_second,
        row_number() over (partition by a.external_login order by a.occurred_at, a.event_id) as nth
    from appearances as a
)

select
{% call event_finding(t, subject='external_login', entity='external_login') %}
    'first appearance of external user ' || external_login
    || case when external_login <> lower(coalesce(actor_login, '')) then ' (invited by ' || {{ label('actor_login', 'someone') }} || ')' else '' end
{%- endcall %}
from firsts
where nth = 1 and {{ after_history_of('at_second', t.baseline_days) }}
