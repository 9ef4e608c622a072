-- The company's own email domains: a login whose domain is not here is external. Configured
-- (`[transforms] company_domains`, `boxevents transform --company-domain`) or, when not, inferred
-- from the events (transforms/company.py); `source` says which. Box's app service accounts
-- (`...@boxdevedition.com`) always belong to the enterprise whose apps they are.
{{ config(materialized='table', tags=['static']) }}
{%- set domains = var('company_domains') | map('lower') | map('trim') | reject('equalto', 'boxdevedition.com') | list %}
{%- for domain in domains %}
select
    cast('{{ domain | replace("'", "") | trim('@') }}' as {{ text_type() }}) as domain,
    cast('{{ var('company_domains_source', 'configured') }}' as {{ text_type() }}) as source
union all
{%- endfor %}
select
    cast('boxdevedition.com' as {{ text_type() }}) as domain,
    cast('box service accounts' as {{ text_type() }}) as source
