{#- The registry of the detection library: every rule (det_*) and hunt (hunt_*) model, one per
    line, in the order `detection_rules` lists them. dbt needs the names spelled out to order the
    `detections` union after its rules; tests/transforms/test_detection_rules.py checks that this
    list names exactly the files in models/detections/rules/ and hunts/. -#}
{% macro detection_models() %}
  {{ return([
    'det_mass_download',
    'det_new_admin',
    'det_failed_login_burst',
    'det_password_spray',
    'det_login_many_ips',
    'det_login_new_network',
    'det_inactive_user_login',
    'det_token_for_new_app',
    'det_external_collab_invite',
    'det_item_shared_externally',
    'det_open_shared_link',
    'det_open_link_downloads',
    'det_event_triggered_externally',
    'det_new_external_user',
    'det_collaborator_promoted_to_owner',
    'det_many_permission_updates',
    'det_many_items_deleted',
    'det_abnormal_user_activity',
    'det_admin_login',
    'det_new_login_device',
    'det_untrusted_device',
    'det_box_support_access_granted',
    'det_app_public_key_added',
    'det_workflow_policy_violation',
    'det_governance_policy_removed',
    'det_malicious_file',
    'det_shield_anomalous_download',
    'det_shield_suspicious_login',
    'det_shield_malicious_content',
    'det_shield_alert_other',
    'det_executable_uploaded',
    'det_forbidden_file_downloaded',
    'det_sensitive_file_name',
    'det_catalog_severity',
  ]) }}
{% endmacro %}
