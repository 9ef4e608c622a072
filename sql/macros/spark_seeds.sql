{#- Seeds on Spark: dbt-spark's `session` method pastes a seed's values into the SQL between bare
    quotes, so a value with a quote in it (the catalog's "A user's request ...") breaks the
    statement. Here the values are written as constants, quoted the Spark way (sql_text), which
    every connection method runs alike (the profile's method is not visible to macros). Databricks,
    whose adapter falls back to spark__ macros but whose drivers bind values themselves, keeps its
    adapter's own. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- if target.type == 'databricks' -%}
    {{ return(dbt.databricks__load_csv_rows(model, agate_table)) }}
  {%- endif -%}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
    {%- set sql -%}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
        ({%- for value in row -%}
          {%- set type = column_override.get(agate_table.column_names[loop.index0], adapter.convert_type(agate_table, loop.index0)) -%}
          cast({{ 'null' if value is none else sql_text(value) }} as {{ type }})
          {%- if not loop.last %}, {% endif -%}
        {%- endfor -%})
        {%- if not loop.last %},{% endif %}
      {% endfor -%}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- do statements.append(sql) if loop.first -%}
  {%- endfor -%}
  {#- the SQL of the first chunk, for dbt's compiled files -#}
  {{ return(statements[0]) }}
{% endmacro %}
