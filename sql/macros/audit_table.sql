{#-
  The skeleton every audit table shares: the staging row of each event of one category, plus the
  `additional_details` keys of that category unpacked into typed, analyst-named columns.
  `columns` maps a column name to its SQL expression (use json_text / safe_cast for JSON values).
-#}
{% macro audit_table(category, columns={}) %}
select
    e.*
    {%- for name, expression in columns.items() %},
    {{ expression }} as {{ name }}
    {%- endfor %}
from {{ ref('stg_box__events') }} as e
where e.category = '{{ category }}'
{{- only_new_loads('e._dlt_load_id') }}
{% endmacro %}
