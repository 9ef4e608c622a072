{#-
  How a model reads only what is new. Every raw row carries the id of the dlt load that brought it
  (`_dlt_load_id`, ordered in time), and every model keeps the newest id among its inputs, so "new"
  is "from a load newer than the newest this model holds". `boxevents transform` runs a full refresh
  instead whenever a model, the catalog or a variable changed (transforms/dbt_runner.py).
-#}

{#- Per-event models (merged on event_id): rows of newer loads only. -#}
{% macro only_new_loads(column='_dlt_load_id') -%}
  {%- if is_incremental() %}
    and {{ column }} > (select coalesce(max(_dlt_load_id), '') from {{ this }})
  {%- endif %}
{%- endmacro %}

{#- Day-local models (replaced by UTC day): every row of each day a newer load touched. -#}
{% macro only_touched_days(day_column='occurred_on') -%}
  {%- set staging = ref('stg_box__events') -%}  {#- outside the `if`, so dbt sees the dependency -#}
  {%- if is_incremental() %}
    and {{ day_column }} in (
        select distinct occurred_on from {{ staging }}
        where _dlt_load_id > (select coalesce(max(_dlt_load_id), '') from {{ this }})
    )
  {%- endif %}
{%- endmacro %}
