{#- Spark over dlt's filesystem destination (a folder or bucket of files, no database): the sources
    the models read become views over the files, made before the models run (an on-run-start hook;
    a no-op on every other target, and on Spark when DESTINATION__FILESYSTEM__BUCKET_URL is not set).
    dlt writes `<bucket>/<dataset>/<table>/`: the events as a Delta table, or as parquet files with
    DESTINATION__FILESYSTEM__TABLE_FORMAT=parquet (the pipeline's own two settings, read here by the
    same names), and its `_dlt_loads` record as JSON lines. A view reads the folder at query time, so
    it sees every load and every new column; `create or replace view` fails, rather than replace it,
    on a real table of the same name. Delta needs Delta's jars in the Spark session. -#}
{% macro create_lake_sources() %}
  {%- set bucket = env_var('DESTINATION__FILESYSTEM__BUCKET_URL', '') -%}
  {%- if target.type != 'spark' or not bucket or not execute -%}{{ return('') }}{%- endif -%}
  {%- set folder = bucket.rstrip('/') ~ '/' ~ target.schema -%}
  {%- set events_format = env_var('DESTINATION__FILESYSTEM__TABLE_FORMAT', 'delta') -%}
  {%- do run_query('create schema if not exists ' ~ target.schema) -%}
  {%- for table, format in [('admin_logs', events_format), ('_dlt_loads', 'json')] -%}
    {%- do run_query('create or replace view ' ~ target.schema ~ '.' ~ table ~ ' as select * from '
                     ~ format ~ '.`' ~ folder ~ '/' ~ table ~ '`') -%}
  {%- endfor -%}
  {{ return('') }}
{% endmacro %}
