{#- The registry of the detection library: every rule (det_*) and hunt (hunt_*) model, one per
    line, in the order `detection_rules` lists them. dbt needs the names spelled out to order the
    `detections` union after its rules; tests/transforms/test_detection_rules.py checks that this
    list names exactly the files in models/detections/rules/ and hunts/. -#}
{% macro detection_models() %}
  {{ return([
    'det_mass_download',
    'det_new_admin',
    'det_catalog_severity',
  ]) }}
{% endmacro %}
