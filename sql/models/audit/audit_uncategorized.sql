-- Events of types the catalog does not list (Box adds types without notice): kept, never dropped.
{{ config(**per_event_incremental()) }}
{{ audit_table('uncategorized') }}
