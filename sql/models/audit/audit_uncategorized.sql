-- Events of types the catalog does not list (Box adds types without notice): kept, never dropped.
{{ audit_table('uncategorized') }}
