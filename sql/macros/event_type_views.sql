{#- One view per catalogued event type (see models/audit/audit_event_types.sql); the catalog is read
    from the seed at run time, so adding a type is a one-line change to the CSV. The views select `*`
    from their audit table, so they follow its columns by themselves (names are cut at 63 characters,
    PostgreSQL's limit, on every warehouse alike): they are made again only on a full refresh (which a
    catalog change triggers) or when some are missing (asked through dbt's adapter, which knows how
    each warehouse lists a schema). Returns the DDL, which dbt runs as the model's post-hook inside
    the model's own transaction (hook_statements). -#}
{% macro create_event_type_views() %}
  {% if not execute %}{{ return('') }}{% endif %}
  {% set schema = target.schema ~ '_by_event_type' %}
  {% set rows = run_query('select event_type, category from ' ~ ref('box_event_types')) %}
  {% set views = [] %}
  {% for row in rows %}
    {% do views.append(api.Relation.create(database=this.database, schema=schema, identifier=('audit_' ~ row[0] | lower)[:63], type='view')) %}
  {% endfor %}
  {% set missing = [] %}
  {% for view in views if adapter.get_relation(database=view.database, schema=view.schema, identifier=view.identifier) is none %}
    {% do missing.append(view) %}
  {% endfor %}
  {% if not flags.FULL_REFRESH and not missing %}{{ return('') }}{% endif %}
  {% set statements = ['create schema if not exists ' ~ adapter.quote(schema)] %}
  {% for row in rows %}
    {% set source = api.Relation.create(database=this.database, schema=this.schema, identifier='audit_' ~ row[1]) %}
    {% do statements.append('drop view if exists ' ~ views[loop.index0]) %}
    {% do statements.append('create view ' ~ views[loop.index0] ~ ' as select * from ' ~ source ~ " where event_type = '" ~ row[0] ~ "'") %}
  {% endfor %}
  {{ return(hook_statements(statements)) }}
{% endmacro %}
