-- The company's own email domains (dbt var `company_domains`; `boxevents transform
-- --company-domain`): a login whose domain is not here is external.
{{ config(materialized='table') }}
{% for domain in var('company_domains') %}
select cast('{{ domain | lower | replace("'", "") | trim('@') }}' as {{ text_type() }}) as domain
{% if not loop.last %}union all{% endif %}
{% endfor %}
