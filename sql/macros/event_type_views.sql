{#- One view per catalogued event type (see models/audit/audit_event_types.sql); the catalog is read
    from the seed at run time, so adding a type is a one-line change to the CSV. The views select `*`
    from their audit table, so they follow its columns by themselves: they are made again only on a
    full refresh (which a catalog change triggers) or when some are missing. -#}
{% macro create_event_type_views() %}
  {% if execute %}
    {% set schema = target.schema ~ '_by_event_type' %}
    {% set rows = run_query('select event_type, category from ' ~ ref('box_event_types')) %}
    {% set existing = run_query(
        "select count(*) from information_schema.tables where table_schema = '" ~ schema ~ "'"
    ).columns[0].values()[0] %}
    {% if flags.FULL_REFRESH or existing != rows | length %}
      {% do adapter.create_schema(api.Relation.create(database=target.database, schema=schema)) %}
      {% for row in rows %}
        {% set view = api.Relation.create(database=this.database, schema=schema, identifier='audit_' ~ row[0] | lower, type='view') %}
        {% set source = api.Relation.create(database=this.database, schema=this.schema, identifier='audit_' ~ row[1]) %}
        {% do run_query('drop view if exists ' ~ view ~ '; create view ' ~ view ~ ' as select * from ' ~ source ~ " where event_type = '" ~ row[0] ~ "'") %}
      {% endfor %}
    {% endif %}
  {% endif %}
{% endmacro %}
