{#- One view per catalogued event type (see models/audit/audit_event_types.sql); the catalog is read
    from the seed at run time, so adding a type is a one-line change to the CSV. -#}
{% macro create_event_type_views() %}
  {% if execute %}
    {% set schema = target.schema ~ '_by_event_type' %}
    {% set rows = run_query('select event_type, category from ' ~ ref('box_event_types')) %}
    {% do adapter.create_schema(api.Relation.create(database=target.database, schema=schema)) %}
    {% for row in rows %}
      {% set view = api.Relation.create(database=this.database, schema=schema, identifier='audit_' ~ row[0] | lower, type='view') %}
      {% set source = api.Relation.create(database=this.database, schema=this.schema, identifier='audit_' ~ row[1]) %}
      {% do run_query('create or replace view ' ~ view ~ ' as select * from ' ~ source ~ " where event_type = '" ~ row[0] ~ "'") %}
    {% endfor %}
  {% endif %}
{% endmacro %}
