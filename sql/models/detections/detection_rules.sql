-- Every rule and hunt of the library, one row each, with what it looks for, how bad it is, where it
-- sits in MITRE ATT&CK, whether it is on, and the thresholds in effect (defaults overridden by var
-- `rule_thresholds`). The catalog rule appears once per event type the catalog marks high or
-- critical that no dedicated rule covers (`catalog_<event type>`).
{{ config(materialized='table', tags=['static']) }}
{%- set event_types = ref('box_event_types') -%}
{%- set rows = [] -%}
{%- for name in detection_models() -%}
  {%- do rows.append(detection_meta(name)) -%}
{%- endfor -%}
{%- set covered = covered_event_types() -%}
{%- set known = rows | map(attribute='rule_id') | list -%}
{%- for rule_id in var('disabled_rules', []) + (var('rule_thresholds', {}).keys() | list) -%}
  {%- if execute and rule_id not in known and not rule_id.startswith('catalog_') -%}
    {{ exceptions.raise_compiler_error("disabled_rules / rule_thresholds name the rule '" ~ rule_id
       ~ "', which does not exist; the rules are listed by `boxevents detections rules`") }}
  {%- endif -%}
{%- endfor -%}
{%- set catalog = (rows | selectattr('per_event_type') | list or [none])[0] %}

with rules as (
{%- for meta in rows if not meta.per_event_type %}
    {% if not loop.first %}union all{% endif %}
    select
        '{{ meta.rule_id }}' as rule_id,
        '{{ meta.kind }}' as kind,
        {{ sql_text(meta.title) }} as title,
        '{{ meta.severity }}' as severity,
        '{{ meta.tactic }}' as tactic,
        '{{ meta.technique }}' as technique,
        {{ sql_text(meta.technique_name) }} as technique_name,
        {{ sql_text(meta.description) }} as description,
        {{ sql_text(meta.false_positives) }} as false_positives,
        {{ sql_text(meta.runbook) }} as runbook,
        {{ 'false' if rule_is_disabled(meta.rule_id) else 'true' }} as enabled,
        {{ sql_text(effective_thresholds(meta) | tojson) }} as thresholds,
        {{ sql_text((meta.references or []) | join('; ')) }} as source_rules
{%- endfor %}
)

select * from rules
{%- if catalog %}
union all
select
    'catalog_' || lower(c.event_type) as rule_id,
    'rule' as kind,
    'Catalog: ' || c.event_type as title,
    c.severity,
    '{{ catalog.tactic }}' as tactic,
    '{{ catalog.technique }}' as technique,
    {{ sql_text(catalog.technique_name) }} as technique_name,
    c.description,
    {{ sql_text(catalog.false_positives) }} as false_positives,
    {{ sql_text(catalog.runbook) }} as runbook,
    not {{ in_list("'catalog_' || lower(c.event_type)", var('disabled_rules', [])) }} as enabled,
    '{}' as thresholds,
    {{ sql_text((catalog.references or []) | join('; ')) }} as source_rules
from {{ event_types }} as c
where c.severity in ('high', 'critical')
{%- if covered %}
    and c.event_type not in ({% for t in covered %}'{{ t }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endif %}
{%- endif %}
