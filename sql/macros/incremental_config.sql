{#-
  How an incremental model replaces what changed, per warehouse. Per-event models (staging, audit)
  replace the rows of the events a new load brought: delete+insert on `event_id` where the adapter has
  it, merge on `event_id` where it does not (BigQuery, Databricks). Day-local models (marts,
  detections) replace whole UTC days: delete+insert on `occurred_on`, or an overwrite of the
  `occurred_on` partitions on BigQuery, Databricks and Spark.
  Apache Spark without Delta's jars (the `spark` target, parquet tables) can neither merge nor delete
  rows: there the per-event and per-key models are rebuilt whole, as tables.
-#}
{% macro per_event_incremental() %}
  {{ return(per_key_incremental('event_id')) }}
{% endmacro %}

{% macro day_local_incremental() %}
  {% if target.type == 'bigquery' %}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
               'partition_by': {'field': 'occurred_on', 'data_type': 'date'}}) }}
  {% elif target.type in ('databricks', 'spark') %}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
               'partition_by': ['occurred_on']}) }}
  {% endif %}
  {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert', 'unique_key': 'occurred_on'}) }}
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
