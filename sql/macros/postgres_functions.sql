{#- PostgreSQL has no try_cast: this creates the one function the timestamp `safe_cast` needs, in the
    dataset's schema, before the models run (an on-run-start hook; a no-op elsewhere). -#}
{% macro create_support_functions() %}
  {% if target.type == 'postgres' %}
    create schema if not exists {{ target.schema }};
    create or replace function {{ target.schema }}.box_try_timestamptz(value text) returns timestamptz
    language plpgsql immutable as $$
    begin
      return value::timestamptz;
    exception when others then
      return null;
    end $$;
  {% endif %}
{% endmacro %}
