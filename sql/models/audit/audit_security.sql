-- Security signals: Shield alerts and blocks, malicious files, failed device trust checks and content
-- workflow policy violations. A Shield alert is created by Box itself (its `created_by` is the
-- anonymous user 2): the person it is about is `subject_user_*`, taken from
-- `shield_alert.user` (a numeric id and an email in real alerts), and `shield_ip_*` is where the
-- alert's activity came from (`ip_info`).
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{% set alert = 'shield_alert' %}
{% set shield_email = 'coalesce(' ~ json_text(d, alert ~ '.user.email') ~ ', ' ~ json_text(d, alert ~ '.user.login') ~ ')' %}
{{ audit_table('security', {
    'shield_alert_id': json_text(d, alert ~ '.alert_id'),
    'shield_rule_category': json_text(d, alert ~ '.rule_category'),
    'shield_rule_name': json_text(d, alert ~ '.rule_name'),
    'shield_risk_score': safe_cast(json_text(d, alert ~ '.risk_score'), 'integer'),
    'shield_priority': json_text(d, alert ~ '.priority'),
    'shield_alert_link': json_text(d, alert ~ '.link'),
    'shield_alert_description': json_text(d, alert ~ '.alert_summary.description'),
    'shield_alert_summary': json_value(d, alert ~ '.alert_summary'),
    'shield_alert_user_id': json_text(d, alert ~ '.user.id'),
    'shield_alert_user_name': json_text(d, alert ~ '.user.name'),
    'shield_alert_user_login': 'lower(' ~ shield_email ~ ')',
    'subject_user_id': 'coalesce(' ~ json_text(d, alert ~ '.user.id') ~ ', case when not e.actor_is_anonymous then e.actor_id end)',
    'subject_user_login': 'coalesce(lower(' ~ shield_email ~ '), e.actor_login)',
    'shield_ip_address': shield_ip_info('ip'),
    'shield_ip_country': shield_ip_info('country_code', 'country'),
    'shield_ip_region': shield_ip_info('region_name', 'region'),
    'shield_ip_city': shield_ip_info('city_name', 'city'),
    'shield_ip_registrant': shield_ip_info('registrant'),
    'shield_malware_name': 'coalesce(' ~ json_text(d, alert ~ '.alert_summary.malware_info.threat_info.threat_name') ~ ', ' ~ json_text(d, alert ~ '.malware_info.malware_name') ~ ', ' ~ json_text(d, alert ~ '.alert_summary.malware_info.malware_name') ~ ')',
    'shield_policy_name': json_text(d, 'shield_policy_name'),
    'justification': json_text(d, 'justification'),
    'malware_name': json_text(d, 'malware_name'),
    'file_size_bytes': safe_cast(json_text(d, 'size'), 'bigint'),
    'policy_id': json_text(d, 'policy_id'),
    'policy_name': json_text(d, 'policy_name'),
    'device_id': json_text(d, 'device_id'),
    'device_name': json_text(d, 'device_name'),
    'device_platform': json_text(d, 'platform'),
    'device_trust_failure': json_text(d, 'error_message'),
}) }}
