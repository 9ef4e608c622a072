{%- set t = detection_rule(
    title='Catalog: high or critical event type',
    severity='high',
    tactic='Defense Evasion',
    technique='T1562',
    technique_name='Impair Defenses',
    false_positives='Planned administration: a legal hold released at the end of a case, a retention policy replaced by a new one.',
    runbook='Check with the acting admin that the change was planned (change ticket); if not, revert it and review the admin account.',
    per_event_type=true,
    references=['Elastic Box integration: event categories', 'Box docs: enterprise event types'],
) -%}
-- Every event of a high/critical catalog type that no dedicated rule covers (`covers=` in rules).
{%- set covered = covered_event_types() %}
select
    'catalog_' || lower(e.event_type) as rule_id,
    'Catalog: ' || e.event_type as rule_title,
    e.occurred_on,
    e.occurred_at as first_seen_at,
    e.occurred_at as last_seen_at,
    e.severity,
    e.event_id as entity,
    e.actor_id,
    e.actor_login,
    coalesce(e.item_name, e.item_login) as subject,
    1 as event_count,
    e.event_id as event_ids,
    {{ label('e.actor_login', 'Box') }} || ': ' || coalesce(c.description, e.event_type)
    || coalesce(' (' || coalesce(e.item_name, e.item_login) || ')', '') as summary,
    e._dlt_load_id
from {{ ref('stg_box__events') }} as e
left join {{ ref('box_event_types') }} as c on c.event_type = e.event_type
where
    e.severity in ('high', 'critical')
    {%- if covered %}
    and e.event_type not in ({% for type in covered %}'{{ type }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif %}
    and not {{ in_list("'catalog_' || lower(e.event_type)", var('disabled_rules', [])) }}
