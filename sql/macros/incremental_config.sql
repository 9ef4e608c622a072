{#-
  How an incremental model replaces what changed, per warehouse. Per-event models (staging, audit)
  replace the rows of the events a new load brought: delete+insert on `event_id` where the adapter has
  it, merge on `event_id` where it does not (BigQuery, Databricks). Day-local models (marts,
  detections) replace whole UTC days: delete+insert on `occurred_on`, or an overwrite of the
  `occurred_on` partitions on BigQuery, Databricks and Spark.
  Apache Spark without Delta's jars (the `spark` target, parquet tables) can neither merge nor delete
  rows: there the per-event and per-key models are rebuilt whole, as tables.
-#}
{#- `new_loads_only`: its data tests read the rows of new loads on incremental runs (macros/tests.sql). -#}
{% macro per_event_incremental() %}
  {{ return(dict(per_key_incremental('event_id'), meta={'new_loads_only': true})) }}
{% endmacro %}

{#- `rebuilds`: which days an incremental run replaces (`rebuilt_days` in macros/incremental.sql):
    `touched` for day-by-day aggregates, `history` for findings, which compare with the days before. -#}
{% macro day_local_incremental(rebuilds='touched') %}
  {%- set meta = {'rebuilds': rebuilds} -%}
  {% if target.type == 'bigquery' %}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite', 'meta': meta,
               'partition_by': {'field': 'occurred_on', 'data_type': 'date'}}) }}
  {% elif target.type in ('databricks', 'spark') %}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite', 'meta': meta,
               'partition_by': ['occurred_on']}) }}
  {% endif %}
  {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert', 'unique_key': 'occurred_on',
             'meta': meta}) }}
{% endmacro %}

{#- Entity models (dimensions): one row per `key`, replaced for the keys a new load touched. -#}
{% macro per_key_incremental(key) %}
  {% if target.type == 'spark' %}
    {{ return({'materialized': 'table'}) }}
  {% elif target.type in ('bigquery', 'databricks') %}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'merge', 'unique_key': key}) }}
  {% endif %}
  {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert', 'unique_key': key}) }}
{% endmacro %}

{#- How delete+insert finds the rows a new batch replaces. A per-event model (`new_loads_only`) looks for
    its events among the rows of loads newer than the previous run only, on the incremental runs of
    `boxevents transform`: it runs them only when it has counted that no row of an older load left
    `admin_logs` since (transforms/runner.py, `nothing_replaced_since`; otherwise a full build), so no
    older row can hold one of the new events, and the warehouse skips the older rows by their min/max
    statistics instead of comparing every event id of the history. Run by hand: dbt's own delete. -#}
{% macro default__get_incremental_delete_insert_sql(arg_dict) %}
  {%- if config.get('meta', {}).get('rebuilds') and is_incremental() -%}
    {% do return(replace_rebuilt_days_sql(arg_dict)) %}
  {%- endif -%}
  {%- set predicates = arg_dict["incremental_predicates"] or [] -%}
  {%- set since = env_var('BOXEVENTS_BUILT_THROUGH_LOAD', '') -%}
  {%- if since and config.get('meta', {}).get('new_loads_only') -%}
    {%- set predicates = predicates + ["_dlt_load_id > '" ~ (since | replace("'", "")) ~ "'"] -%}
  {%- endif -%}
  {% do return(get_delete_insert_merge_sql(arg_dict["target_relation"], arg_dict["temp_relation"], arg_dict["unique_key"], arg_dict["dest_columns"], predicates)) %}
{% endmacro %}

{#- A day-local model replaces every day it rebuilt (`rebuilt_days`), not only the days its new rows
    are on: dbt's delete+insert deletes the days of the new rows, so a day none of whose findings is
    left (a late login made a network not new) kept its old rows. -#}
{% macro replace_rebuilt_days_sql(arg_dict) %}
  {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
  delete from {{ arg_dict["target_relation"] }}
  where true {{- only_touched_days(arg_dict["unique_key"], days=rebuilt_days()) }};
  insert into {{ arg_dict["target_relation"] }} ({{ columns }})
  (select {{ columns }} from {{ arg_dict["temp_relation"] }})
{% endmacro %}
