{#- A combination of columns is unique (dbt_utils' test, written here: packages are not downloaded). -#}
{% test dbt_utils_free_unique_combination(model, columns) %}
select {{ columns | join(', ') }}
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- What a data test reads. A test of a table marked `new_loads_only` (the raw events in
    __sources.yml, the per-event models by `per_event_incremental`) reads
    only the rows of loads newer than the previous successful `boxevents transform` run on an
    incremental run, so a sync's tests cost what the sync brought instead of growing with the history:
    the older rows passed the same tests when they were new, and none of them can hold one of the
    new events (the runner runs incrementally only when it has counted that no older row left the
    raw table, `nothing_replaced_since`; else a full build), so a test of the new rows is a test of
    the table. A full build, and a test run by hand, read every row (dbt's own behaviour, `where` kept). -#}
{% macro default__get_where_subquery(relation) -%}
  {%- set where = config.get('where', '') -%}
  {%- set since = env_var('BOXEVENTS_BUILT_THROUGH_LOAD', '') if execute else '' -%}
  {%- if since and tests_new_loads_only(model) -%}
    {%- set scope = "_dlt_load_id > '" ~ (since | replace("'", "")) ~ "'" -%}
    {%- set where = scope ~ (" and (" ~ where ~ ")" if where else "") -%}
  {%- endif -%}
  {%- if where -%}
    {%- do return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") -%}
  {%- endif -%}
  {%- do return(relation) -%}
{%- endmacro %}

{#- Whether the table a test tests is marked `new_loads_only` (a model's config or a source's meta). -#}
{% macro tests_new_loads_only(test) -%}
  {%- set tested = graph.nodes.get(test.attached_node) if test.attached_node else none -%}
  {%- if tested is none -%}
    {%- for id in test.depends_on.nodes if id.startswith('source.') -%}
      {%- set tested = graph.sources.get(id) -%}
      {%- if tested and tested.meta.get('new_loads_only') -%}{{ return(true) }}{%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
  {%- endif -%}
  {{ return(tested.config.meta.get('new_loads_only', false)) }}
{%- endmacro %}
