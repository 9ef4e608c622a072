-- Every OCSF view in one relation, for a SIEM that reads one: the attributes all the classes share
-- (those of ocsf_mapped_events), plus `src_endpoint__ip` where the class has a src_endpoint. OCSF
-- 1.8.0 gives a Detection Finding none (a Shield alert's address is its evidence:
-- ocsf_detection_finding.evidences__0__src_endpoint__ip), so findings have NULL there. Each class's
-- own attributes stay in its view; `class_uid` says which one to read them from.
{{ config(materialized='view') }}
{%- set shared = [
    'class_uid', 'class_name', 'category_uid', 'category_name', 'activity_id', 'activity_name',
    'type_uid', 'type_name', 'severity_id', 'severity', 'time', 'time_dt', 'status_id', 'status',
    'metadata__uid', 'metadata__version', 'metadata__product__name',
    'metadata__product__vendor_name', 'metadata__event_code', 'metadata__log_name',
    'actor__user__uid', 'actor__user__name', 'actor__user__email_addr',
] %}
{#- class view -> whether its class has a src_endpoint -#}
{%- set views = {
    'ocsf_authentication': true,
    'ocsf_account_change': true,
    'ocsf_group_management': true,
    'ocsf_file_hosting_activity': true,
    'ocsf_detection_finding': false,
} %}
{%- for view, has_src_endpoint in views.items() %}
select
    {{ shared | join(',\n    ') }},
    {{ 'src_endpoint__ip' if has_src_endpoint else 'cast(null as ' ~ text_type() ~ ') as src_endpoint__ip' }},
    raw_event_id
from {{ ref(view) }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
