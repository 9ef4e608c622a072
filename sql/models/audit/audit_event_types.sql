-- Every catalogued event type with the audit table it lands in and the name of its own view.
-- Building this table also (re)creates those views, `audit_<event_type>` (e.g.
-- `audit_failed_login`), in their own schema `<dataset>_by_event_type`, so a BI tool lists the main
-- tables first and an analyst can still pick exactly FAILED_LOGIN. One model instead of one per type
-- keeps `dbt build` fast (a dbt node costs about 50 ms whatever it does).
{{ config(post_hook="{{ create_event_type_views() }}", tags=['static']) }}
-- depends_on: {{ ref('audit_apps_and_tokens') }}, {{ ref('audit_authentication') }}, {{ ref('audit_box_sign') }}
-- depends_on: {{ ref('audit_collaboration') }}, {{ ref('audit_collections') }}, {{ ref('audit_content_changes') }}
-- depends_on: {{ ref('audit_file_access') }}, {{ ref('audit_governance') }}, {{ ref('audit_security') }}
-- depends_on: {{ ref('audit_sharing') }}, {{ ref('audit_tasks_and_comments') }}, {{ ref('audit_users_and_groups') }}
select
    event_type,
    category,
    severity,
    description,
    substring('audit_' || lower(event_type), 1, 63) as view_name,
    'audit_' || category as audit_table
from {{ ref('box_event_types') }}
