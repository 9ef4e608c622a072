{#-
  How a model reads only what is new. Every raw row carries the id of the dlt load that brought it
  (`_dlt_load_id`, ordered in time), and every model keeps the newest id among its inputs, so "new"
  is "from a load newer than the newest this model holds". `boxevents transform` runs a full refresh
  instead whenever a model, the catalog or a variable changed (transforms/dbt_runner.py).
-#}

{#- The newest load this model already holds. `boxevents transform` knows it for every model: the
    newest load its previous successful run saw (transforms/runner.py passes it as
    BOXEVENTS_BUILT_THROUGH_LOAD on incremental runs), and it is written into the SQL as a literal, so
    the warehouse skips every block of rows of older loads by its min/max statistics: a subquery
    (`max(_dlt_load_id)` of the model) would read the whole column, and that grows with the table.
    Run by hand (no such variable), the model's own newest load, as a subquery. -#}
{% macro built_through_load() -%}
  {%- set mark = env_var('BOXEVENTS_BUILT_THROUGH_LOAD', '') if execute else '' -%}
  {%- if mark -%}
    '{{ mark | replace("'", "") }}'
  {%- else -%}
    (select coalesce(max(_dlt_load_id), '') from {{ this }})
  {%- endif -%}
{%- endmacro %}

{#- Per-event models (merged on event_id): rows of newer loads only. -#}
{% macro only_new_loads(column='_dlt_load_id') -%}
  {%- if is_incremental() %}
    and {{ column }} > {{ built_through_load() }}
  {%- endif %}
{%- endmacro %}

{#- Day-local models (replaced by UTC day): every row of each day a newer load touched. The days are
    looked up first and written into the SQL as literals, so the warehouse can prune by them even
    through the detection views' aggregates (a semi-join on a subquery would not be pushed down). -#}
{#- `lookback_days`: also rebuild that many days before each touched one (a finding whose rolling
    window starts before midnight belongs to the day it started on). -#}
{% macro only_touched_days(day_column='occurred_on', lookback_days=0, days=none) -%}
  {%- set days = days if days is not none else touched_days(lookback_days) -%}
  {%- if days is not none -%}
    {%- if days | length == 0 %}
    and false
    {%- else %}
    and {{ day_column }} in ({% for day in days %}cast('{{ day }}' as date){% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif %}
  {%- endif %}
{%- endmacro %}

{#- The UTC days (ISO text, sorted) a newer load touched, each with `lookback_days` days before it;
    none when the model is built whole (not incremental, or while dbt parses). `through_newest`: also
    every day after the first of them up to the newest day staged, for what a day's findings read
    of the days before it (a late event, or a newest-first backfill loading the older days last,
    changes what every later day compares with). -#}
{% macro touched_days(lookback_days=0, through_newest=false) -%}
  {%- set staging = ref('stg_box__events') -%}  {#- outside the `if`, so dbt sees the dependency -#}
  {%- if not (is_incremental() and execute) -%}
    {{ return(none) }}
  {%- endif -%}
  {%- if var('compile_only', none) -%}
    {%- set days = ['2000-01-01'] -%}  {#- compiling offline (tests/transforms/test_dialects.py) -#}
  {%- else -%}
    {%- set days = run_query(
        "select distinct cast(occurred_on as " ~ text_type() ~ ") from " ~ staging
        ~ " where _dlt_load_id > " ~ built_through_load()
    ).columns[0].values() -%}
  {%- endif -%}
  {%- set widened = [] -%}
  {%- for day in days -%}
    {%- for back in range(lookback_days + 1) -%}
      {%- do widened.append((modules.datetime.date.fromisoformat(day | string) - modules.datetime.timedelta(days=back)).isoformat()) -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- set widened = widened | unique | sort | list -%}
  {%- if through_newest and widened and not var('compile_only', none) -%}
    {%- set newest = run_query(
        "select cast(max(occurred_on) as " ~ text_type() ~ ") from " ~ staging
    ).columns[0].values()[0] -%}
    {%- set first = modules.datetime.date.fromisoformat(widened[0]) -%}
    {%- set last = modules.datetime.date.fromisoformat(newest | string) -%}  {#- the touched days are staged too -#}
    {%- set widened = [] -%}
    {%- for offset in range((last - first).days + 1) -%}
      {%- do widened.append((first + modules.datetime.timedelta(days=offset)).isoformat()) -%}
    {%- endfor -%}
  {%- endif -%}
  {{ return(widened) }}
{%- endmacro %}

{#- The days a day-local model rebuilds on an incremental run (its config's `meta.rebuilds`, from
    `day_local_incremental`): `touched`, the days a newer load touched; `history`, for findings,
    every day from the day before the first touched one through the newest (`touched_days`). The
    model reads them, and its delete replaces exactly them, also a day none of whose rows is left. -#}
{% macro rebuilt_days() -%}
  {%- set meta = config.get('meta') if execute else none -%}  {#- parsing: no config to read yet -#}
  {%- if meta is mapping and meta.get('rebuilds') == 'history' -%}
    {{ return(touched_days(findings_lookback_days(), through_newest=true)) }}
  {%- endif -%}
  {{ return(touched_days()) }}
{%- endmacro %}

{#- History rules (a login compared with every earlier login of the user) split the events in two:
    the days from the first touched one on, read whole, and everything before it, which a rule reads
    only as a summary per key (a hash aggregate, no sort), so a sync no longer orders the whole
    history by user. `since_touched(days)`: a condition keeping the recent part; `before_touched`:
    the older part (false on a full build, where the recent part is everything); `days` is what
    `touched_days()` returned, looked up once per model. -#}
{% macro since_touched(days, day_column='occurred_on') -%}
  {%- if days is none -%}true
  {%- elif days | length == 0 -%}false
  {%- else -%}{{ day_column }} >= cast('{{ days[0] }}' as date)
  {%- endif -%}
{%- endmacro %}
{% macro before_touched(days, day_column='occurred_on') -%}
  {%- if days is none or days | length == 0 -%}false
  {%- else -%}{{ day_column }} < cast('{{ days[0] }}' as date)
  {%- endif -%}
{%- endmacro %}

{#- Entity models (one row per user or item, rebuilt for the keys a newer load touched): `key` in
    the keys `touched_sql` selects, on incremental runs only. -#}
{% macro only_touched_keys(key, touched_sql) -%}
  {%- if is_incremental() %}
    and {{ key }} in ({{ touched_sql }})
  {%- endif %}
{%- endmacro %}

{#- `new` is newer than `old` by (time, tie-breaker): how an entity model keeps the newest value it has
    seen when it combines a new batch with the row it already holds. -#}
{% macro is_newer(new_at, new_tie, old_at, old_tie) -%}
  ({{ old_at }} is null or {{ new_at }} > {{ old_at }} or ({{ new_at }} = {{ old_at }} and {{ new_tie }} >= {{ old_tie }}))
{%- endmacro %}

{#- The earlier / later of two nullable timestamps (NULL only when both are). -#}
{% macro earliest(a, b) -%}
  (case when {{ b }} is null or ({{ a }} is not null and {{ a }} < {{ b }}) then {{ a }} else {{ b }} end)
{%- endmacro %}
{% macro latest(a, b) -%}
  (case when {{ b }} is null or ({{ a }} is not null and {{ a }} > {{ b }}) then {{ a }} else {{ b }} end)
{%- endmacro %}
