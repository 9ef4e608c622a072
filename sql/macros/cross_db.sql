{#-
  What differs between warehouses, in one place: JSON access, email domains, casts that never fail a
  build, UTC days and hours, id lists, boolean aggregates. Every model calls these macros instead of a
  dialect's own function, so the same models run on DuckDB and PostgreSQL (executed in the tests) and
  compile for Snowflake, BigQuery and Databricks, and run on Apache Spark (tests/transforms/
  test_spark.py). Each macro dispatches on the adapter: `default__` is DuckDB's form (and the form
  most warehouses share). dbt-databricks dispatches to `spark__` when it finds no `databricks__`, so
  one `spark__` macro serves both where they agree; a `databricks__` one is there only where they
  differ. split_part is Spark's (3.3+) and Databricks' (11.3+) too, with '' out of range like
  DuckDB's (element_at would fail there under ANSI mode).
-#}

{#- The text at a path inside a JSON column (`json_text('source', 'parent.id')`, arrays as
    `alert_activities[0].ip_info`); NULL when absent. -#}
{% macro json_text(column, path) %}{{ return(adapter.dispatch('json_text')(column, path)) }}{% endmacro %}
{% macro default__json_text(column, path) %}({{ column }} ->> '$.{{ path }}'){% endmacro %}
{% macro postgres__json_text(column, path) %}({{ column }} #>> '{ {{- _path_keys(path) | join(',') -}} }'){% endmacro %}
{#- Snowflake: `:` before the first key, then `.` and `[i]` (its documented path form) -#}
{% macro snowflake__json_text(column, path) %}({{ column }}:{{ path }}::string){% endmacro %}
{% macro bigquery__json_text(column, path) %}json_value({{ column }}, '$.{{ path }}'){% endmacro %}
{% macro spark__json_text(column, path) %}get_json_object({{ column }}, '$.{{ path }}'){% endmacro %}

{#- A JSON object or array inside a JSON column, kept as JSON. -#}
{% macro json_value(column, path) %}{{ return(adapter.dispatch('json_value')(column, path)) }}{% endmacro %}
{% macro default__json_value(column, path) %}({{ column }} -> '$.{{ path }}'){% endmacro %}
{% macro postgres__json_value(column, path) %}({{ column }} #> '{ {{- _path_keys(path) | join(',') -}} }'){% endmacro %}
{% macro snowflake__json_value(column, path) %}({{ column }}:{{ path }}){% endmacro %}

{#- `a.b[0].c` -> ['a', 'b', '0', 'c']: PostgreSQL's path array. -#}
{% macro _path_keys(path) %}{{ return((path | replace('[', '.') | replace(']', '') | trim('.')).split('.')) }}{% endmacro %}
{% macro bigquery__json_value(column, path) %}json_query({{ column }}, '$.{{ path }}'){% endmacro %}
{% macro spark__json_value(column, path) %}get_json_object({{ column }}, '$.{{ path }}'){% endmacro %}

{#- The lower-cased domain of an email address; NULL when there is none. -#}
{% macro email_domain(expression) %}{{ return(adapter.dispatch('email_domain')(expression)) }}{% endmacro %}
{% macro default__email_domain(expression) %}nullif(lower(split_part({{ expression }}, '@', 2)), ''){% endmacro %}
{% macro bigquery__email_domain(expression) %}nullif(lower(split({{ expression }}, '@')[safe_offset(1)]), ''){% endmacro %}

{#- Casts of text from JSON that turn an odd value into NULL instead of failing the build. -#}
{% macro safe_cast(expression, type) %}{{ return(adapter.dispatch('safe_cast')(expression, type)) }}{% endmacro %}
{% macro default__safe_cast(expression, type) %}try_cast({{ expression }} as {{ type }}){% endmacro %}
{% macro bigquery__safe_cast(expression, type) %}safe_cast({{ expression }} as {{ {'bigint': 'int64', 'integer': 'int64', 'double': 'float64', 'boolean': 'bool', 'timestamp': 'timestamp'}.get(type, type) }}){% endmacro %}
{% macro postgres__safe_cast(expression, type) -%}
  {#- PostgreSQL has no try_cast: numbers and booleans are checked by pattern, timestamps by a function
      the project creates (macros/postgres_functions.sql) -#}
  {%- if type in ('bigint', 'integer') -%}
    (case when ({{ expression }}) ~ '^\s*[-+]?[0-9]{1,18}\s*$' then cast({{ expression }} as {{ type }}) end)
  {%- elif type == 'double' -%}
    (case when ({{ expression }}) ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$' then cast({{ expression }} as double precision) end)
  {%- elif type == 'boolean' -%}
    (case lower(trim({{ expression }})) when 'true' then true when 'false' then false end)
  {%- elif type == 'timestamp' -%}
    {{ target.schema }}.box_try_timestamptz({{ expression }})
  {%- else -%}
    cast({{ expression }} as {{ type }})
  {%- endif -%}
{%- endmacro %}
{#- Snowflake's TIMESTAMP is TIMESTAMP_NTZ by default, which drops the offset Box writes -#}
{% macro snowflake__safe_cast(expression, type) %}try_cast({{ expression }} as {{ 'timestamp_tz' if type == 'timestamp' else type }}){% endmacro %}
{% macro duckdb__safe_cast(expression, type) %}try_cast({{ expression }} as {{ 'timestamptz' if type == 'timestamp' else type }}){% endmacro %}

{#- The UTC calendar day of a timestamp with time zone. -#}
{% macro utc_date(expression) %}{{ return(adapter.dispatch('utc_date')(expression)) }}{% endmacro %}
{% macro default__utc_date(expression) %}cast({{ expression }} at time zone 'UTC' as date){% endmacro %}
{% macro snowflake__utc_date(expression) %}to_date(convert_timezone('UTC', {{ expression }})){% endmacro %}
{% macro bigquery__utc_date(expression) %}date({{ expression }}, 'UTC'){% endmacro %}
{#- Spark and Databricks: convert_timezone('UTC', ts) is the UTC wall clock whatever the session
    time zone (Spark 3.4+, Databricks 13.3+); to_date(ts) alone would follow the session's zone -#}
{% macro spark__utc_date(expression) %}to_date(convert_timezone('UTC', {{ expression }})){% endmacro %}

{#- The start of the UTC hour of a timestamp with time zone (for per-hour counts). -#}
{% macro utc_hour(expression) %}{{ return(adapter.dispatch('utc_hour')(expression)) }}{% endmacro %}
{% macro default__utc_hour(expression) %}date_trunc('hour', {{ expression }} at time zone 'UTC'){% endmacro %}
{% macro snowflake__utc_hour(expression) %}date_trunc('hour', convert_timezone('UTC', {{ expression }})){% endmacro %}
{% macro bigquery__utc_hour(expression) %}timestamp_trunc({{ expression }}, hour, 'UTC'){% endmacro %}
{% macro databricks__utc_hour(expression) %}date_trunc('HOUR', convert_timezone('UTC', {{ expression }})){% endmacro %}
{% macro spark__utc_hour(expression) %}date_trunc('HOUR', {{ expression }}){% endmacro %}

{#- A sorted comma list of the distinct values of a text column (the event ids behind a finding). -#}
{% macro id_list(expression) %}{{ return(adapter.dispatch('id_list')(expression)) }}{% endmacro %}
{% macro default__id_list(expression) %}string_agg({{ expression }}, ',' order by {{ expression }}){% endmacro %}
{% macro snowflake__id_list(expression) %}listagg({{ expression }}, ',') within group (order by {{ expression }}){% endmacro %}
{#- Spark: array_join of no values is '', string_agg's is NULL -#}
{% macro spark__id_list(expression) %}case when count({{ expression }}) > 0 then array_join(array_sort(collect_list({{ expression }})), ',') end{% endmacro %}

{#- True when any row is true. -#}
{% macro any_true(expression) %}{{ return(adapter.dispatch('any_true')(expression)) }}{% endmacro %}
{% macro default__any_true(expression) %}bool_or({{ expression }}){% endmacro %}
{% macro snowflake__any_true(expression) %}boolor_agg({{ expression }}){% endmacro %}
{% macro bigquery__any_true(expression) %}logical_or({{ expression }}){% endmacro %}

{#- The text type (`varchar` is not BigQuery's or Spark's). -#}
{% macro text_type() %}{{ return(adapter.dispatch('text_type')()) }}{% endmacro %}
{% macro default__text_type() %}varchar{% endmacro %}
{% macro bigquery__text_type() %}string{% endmacro %}
{% macro spark__text_type() %}string{% endmacro %}

{#- A stable hex digest of a text expression (finding ids). -#}
{% macro digest(expression) %}{{ return(adapter.dispatch('digest')(expression)) }}{% endmacro %}
{% macro default__digest(expression) %}md5({{ expression }}){% endmacro %}
{% macro bigquery__digest(expression) %}to_hex(md5({{ expression }})){% endmacro %}

{#- A timestamp with time zone. -#}
{% macro timestamp_tz_type() %}{{ return(adapter.dispatch('timestamp_tz_type')()) }}{% endmacro %}
{% macro default__timestamp_tz_type() %}timestamptz{% endmacro %}
{% macro snowflake__timestamp_tz_type() %}timestamp_tz{% endmacro %}
{% macro bigquery__timestamp_tz_type() %}timestamp{% endmacro %}
{% macro spark__timestamp_tz_type() %}timestamp{% endmacro %}

{#- One row per day from `first` to `last` (dates), as a `day` column. -#}
{% macro day_spine(first, last) %}{{ return(adapter.dispatch('day_spine')(first, last)) }}{% endmacro %}
{% macro default__day_spine(first, last) %}select cast(d as date) as day from generate_series(cast({{ first }} as date), cast({{ last }} as date), interval 1 day) as t(d){% endmacro %}
{% macro postgres__day_spine(first, last) %}select cast(d as date) as day from generate_series(cast({{ first }} as date), cast({{ last }} as date), interval '1 day') as t(d){% endmacro %}
{#- Snowflake: SEQ4() may leave gaps, ROW_NUMBER() over it does not -#}
{% macro snowflake__day_spine(first, last) %}select dateadd(day, row_number() over (order by seq4()) - 1, {{ first }}) as day from table(generator(rowcount => 36600)) qualify day <= {{ last }}{% endmacro %}
{% macro bigquery__day_spine(first, last) %}select day from unnest(generate_date_array({{ first }}, {{ last }})) as day{% endmacro %}
{% macro spark__day_spine(first, last) %}select explode(sequence({{ first }}, {{ last }}, interval 1 day)) as day{% endmacro %}

{#- The current time (for "open now", "expired"). -#}
{% macro now_utc() %}{{ return(adapter.dispatch('now_utc')()) }}{% endmacro %}
{% macro default__now_utc() %}current_timestamp{% endmacro %}

{#- ISO day of the week of a date: Monday 1 … Sunday 7. -#}
{% macro iso_day_of_week(expression) %}{{ return(adapter.dispatch('iso_day_of_week')(expression)) }}{% endmacro %}
{% macro default__iso_day_of_week(expression) %}extract(isodow from {{ expression }}){% endmacro %}
{% macro snowflake__iso_day_of_week(expression) %}dayofweekiso({{ expression }}){% endmacro %}
{% macro bigquery__iso_day_of_week(expression) %}mod(extract(dayofweek from {{ expression }}) + 5, 7) + 1{% endmacro %}
{% macro spark__iso_day_of_week(expression) %}extract(dayofweek_iso from {{ expression }}){% endmacro %}

{#- Whole seconds since 1970 of a timestamp with time zone, as a bigint (rolling windows order by it). -#}
{% macro epoch_seconds(expression) %}{{ return(adapter.dispatch('epoch_seconds')(expression)) }}{% endmacro %}
{% macro default__epoch_seconds(expression) %}cast(epoch({{ expression }}) as bigint){% endmacro %}
{% macro postgres__epoch_seconds(expression) %}cast(extract(epoch from {{ expression }}) as bigint){% endmacro %}
{% macro snowflake__epoch_seconds(expression) %}date_part(epoch_second, {{ expression }}){% endmacro %}
{% macro bigquery__epoch_seconds(expression) %}unix_seconds({{ expression }}){% endmacro %}
{% macro spark__epoch_seconds(expression) %}unix_timestamp({{ expression }}){% endmacro %}

{#- The `n`-th (1-based) part of a text split at `delimiter`; '' when there is none. -#}
{% macro text_part(expression, delimiter, n) %}{{ return(adapter.dispatch('text_part')(expression, delimiter, n)) }}{% endmacro %}
{% macro default__text_part(expression, delimiter, n) %}split_part({{ expression }}, '{{ delimiter }}', {{ n }}){% endmacro %}
{% macro bigquery__text_part(expression, delimiter, n) %}coalesce(split({{ expression }}, '{{ delimiter }}')[safe_offset({{ n - 1 }})], ''){% endmacro %}

{#- A text constant from a compile-time value, quoted as the warehouse wants it (BigQuery, Spark and
    Databricks escape a quote with a backslash, the others double it). -#}
{% macro sql_text(value) %}{{ return(adapter.dispatch('sql_text')(value)) }}{% endmacro %}
{% macro default__sql_text(value) %}'{{ (value | string) | replace("'", "''") }}'{% endmacro %}
{% macro bigquery__sql_text(value) %}'{{ (value | string) | replace("\\", "\\\\") | replace("'", "\\'") }}'{% endmacro %}
{% macro spark__sql_text(value) %}'{{ (value | string) | replace("\\", "\\\\") | replace("'", "\\'") }}'{% endmacro %}

{#- A timestamp with time zone as text, in UTC, as DuckDB and PostgreSQL write it (`2026-11-09
    19:53:43+00`; a session in UTC); Spark's own text of a timestamp has no offset and follows the
    session's zone. -#}
{% macro timestamp_text(expression) %}{{ return(adapter.dispatch('timestamp_text')(expression)) }}{% endmacro %}
{% macro default__timestamp_text(expression) %}cast({{ expression }} as {{ text_type() }}){% endmacro %}
{% macro spark__timestamp_text(expression) %}(cast(convert_timezone('UTC', {{ expression }}) as string) || '+00'){% endmacro %}

{#- The date `n` days before a date. -#}
{% macro days_before(expression, n) %}{{ return(adapter.dispatch('days_before')(expression, n)) }}{% endmacro %}
{% macro default__days_before(expression, n) %}({{ expression }} - {{ n }}){% endmacro %}
{% macro snowflake__days_before(expression, n) %}dateadd(day, -{{ n }}, {{ expression }}){% endmacro %}
{% macro bigquery__days_before(expression, n) %}date_sub({{ expression }}, interval {{ n }} day){% endmacro %}
{% macro spark__days_before(expression, n) %}date_sub({{ expression }}, {{ n }}){% endmacro %}

{#- Several statements as one hook (a post-hook's DDL): joined, for a warehouse that runs them in one
    call; run one by one where a call is one statement (Spark, Databricks), the hook itself empty. -#}
{% macro hook_statements(statements) %}{{ return(adapter.dispatch('hook_statements')(statements)) }}{% endmacro %}
{% macro default__hook_statements(statements) %}{{ return(statements | join(';\n')) }}{% endmacro %}
{% macro spark__hook_statements(statements) %}
  {%- for statement in statements %}{% do run_query(statement) %}{% endfor -%}
  {{ return('') }}
{% endmacro %}
