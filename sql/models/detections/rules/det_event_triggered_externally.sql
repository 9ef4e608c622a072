{%- set t = detection_rule(
    title='Activity by an external user',
    severity='low',
    tactic='Initial Access',
    technique='T1199',
    technique_name='Trusted Relationship',
    false_positives='Collaborators from clients and suppliers not yet listed in partner_domains (list them).',
    runbook='See what the person did (event_ids) and on which content; confirm a collaboration justifies it, else remove their access.',
    references=['Panther: Box Event Triggered by External User'],
) -%}
-- Someone outside the company and its partner domains acted on the enterprise's content. One
-- finding per external user and day.
select
{% call grouped_finding(t, entity='actor_id', subject=counted('count(distinct item_id)', 'item')) %}
    {{ label('max(actor_login)', 'an external user') }} || ' (external) did ' || {{ counted('count(*)', 'action') }}
    || ' on ' || {{ counted('count(distinct item_id)', 'item') }}
{%- endcall %}
from {{ ref('stg_box__events') }}
where actor_is_external and not actor_is_anonymous and not {{ is_partner_domain('actor_domain') }}
group by occurred_on, actor_id
