{#- Where Shield says the alert's activity came from, whatever the rule category: the first
    activity (Suspicious Locations), the first session's first activity (Suspicious Sessions), the
    upload (Malicious Content), the first address (Ransomware, Anomalous Download). -#}
{% macro shield_ip_info(key, other_key=none) -%}
  {%- set places = ['alert_summary.alert_activities[0].ip_info', 'alert_summary.sessions[0].activities[0].ip_info',
                    'alert_summary.upload_activity.ip_info', 'alert_summary.ip_details[0]', 'alert_summary.download_ips[0]'] -%}
  coalesce(
  {%- for place in places -%}
    {{ json_text('e.additional_details', 'shield_alert.' ~ place ~ '.' ~ key) }}
    {%- if other_key %}, {{ json_text('e.additional_details', 'shield_alert.' ~ place ~ '.' ~ other_key) }}{% endif %}
    {%- if not loop.last %}, {% endif -%}
  {%- endfor -%}
  )
{%- endmacro %}
