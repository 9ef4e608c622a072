-- Box's severity words (the event-type catalog's, and Shield's alert priority) as OCSF 1.8.0
-- severity_id and its caption (dictionary.json `severity_id`). A join, not a CASE in every model,
-- so the catalog's events, Shield's priorities and any later finding source share one scale.
{{ config(materialized='view') }}
{%- set levels = [
    ('unknown', 0, 'Unknown'),
    ('info', 1, 'Informational'),
    ('low', 2, 'Low'),
    ('medium', 3, 'Medium'),
    ('high', 4, 'High'),
    ('critical', 5, 'Critical'),
] %}
{%- for word, severity_id, caption in levels %}
select '{{ word }}' as box_severity, {{ severity_id }} as severity_id, '{{ caption }}' as severity
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
