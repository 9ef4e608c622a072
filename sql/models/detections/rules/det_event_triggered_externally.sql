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
    occurred_on,
    min(occurred_at) as first_seen_at,
    max(occurred_at) as last_seen_at,
    '{{ t.rule.severity }}' as severity,
    actor_id as entity,
    actor_id,
    max(actor_login) as actor_login,
    {{ counted('count(distinct item_id)', 'item') }} as subject,
    count(*) as event_count,
    {{ id_list('event_id') }} as event_ids,
    {{ label('max(actor_login)', 'an external user') }} || ' (external) did ' || {{ counted('count(*)', 'action') }}
    || ' on ' || {{ counted('count(distinct item_id)', 'item') }} as summary,
    max(_dlt_load_id) as _dlt_load_id
from {{ ref('stg_box__events') }}
where actor_is_external and not actor_is_anonymous and not {{ is_partner_domain('actor_domain') }}
group by occurred_on, actor_id
