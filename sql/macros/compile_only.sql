{#-
  Compiling without a warehouse (tests/transforms/test_dialects.py compiles every model for
  Snowflake, BigQuery and Databricks with dummy profiles). dbt's own is_incremental() asks the
  warehouse whether the model's table exists; with the variable `compile_only` set it answers
  without asking: `--vars '{compile_only: incremental}'` renders every incremental model in its
  incremental form, `{compile_only: full}` in its full-refresh form. Unset, as in every real run,
  this is dbt's is_incremental() unchanged.
-#}
{% macro is_incremental() %}
  {%- set mode = var('compile_only', none) -%}
  {%- if mode is none -%}
    {{ return(dbt.is_incremental()) }}
  {%- endif -%}
  {{ return(execute and mode == 'incremental' and model.config.materialized == 'incremental') }}
{% endmacro %}
