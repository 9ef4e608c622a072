-- Which OCSF class and activity each mapped Box event type becomes: one row per Box event type.
-- Numbers and captions are OCSF 1.8.0's (github.com/ocsf/ocsf-schema, tag 1.8.0): a class's uid is
-- its category's uid * 1000 + its own (categories.json, events/<category>/<class>.json; the rule is
-- ocsf-lib-py's compile/planners/uid.py), type_uid = class_uid * 100 + activity_id and type_name
-- "<class>: <activity>" (dictionary.json `type_uid`, and uid.py). A type not listed here has no OCSF
-- view: it is left out rather than forced into `Other` (99); docs/ocsf.md says which and why.
{{ config(materialized='view') }}
{%- set version = '1.8.0' %}
{%- set categories = {2: 'Findings', 3: 'Identity & Access Management', 6: 'Application Activity'} %}
{#- class_uid -> caption, category and the activity captions this mapping uses (each from the
    class's `activity_id` enum in that version) -#}
{%- set classes = {
    3001: {'name': 'Account Change', 'category_uid': 3, 'activities': {
        1: 'Create', 6: 'Delete', 10: 'MFA Factor Enable', 11: 'MFA Factor Disable'}},
    3002: {'name': 'Authentication', 'category_uid': 3, 'activities': {1: 'Logon', 7: 'Account Switch'}},
    3006: {'name': 'Group Management', 'category_uid': 3, 'activities': {
        1: 'Assign Privileges', 2: 'Revoke Privileges', 3: 'Add User', 4: 'Remove User',
        5: 'Delete', 6: 'Create'}},
    6006: {'name': 'File Hosting Activity', 'category_uid': 6, 'activities': {
        1: 'Upload', 2: 'Download', 3: 'Update', 4: 'Delete', 5: 'Rename', 6: 'Copy', 7: 'Move',
        8: 'Restore', 9: 'Preview', 10: 'Lock', 11: 'Unlock', 12: 'Share', 13: 'Unshare',
        14: 'Open', 15: 'Sync', 16: 'Unsync'}},
    2004: {'name': 'Detection Finding', 'category_uid': 2, 'activities': {1: 'Create'}},
} %}
{#- status_id captions: the base event's enum (dictionary.json `status_id`); a Finding has its own
    (events/findings/finding.json): a Box alert is a new finding nobody has reviewed yet -#}
{%- set statuses = {'event': {1: 'Success', 2: 'Failure'}, 'finding': {1: 'New'}} %}
{#- Box event type, class_uid, activity_id, status_id. Box writes an event when the action happened,
    so it is a Success unless the type itself says it failed. The user-stream names (ITEM_*,
    LOCK_CREATE, ...) are mapped like their admin-stream twins. -#}
{%- set mapping = [
    ('LOGIN', 3002, 1, 1),
    ('FAILED_LOGIN', 3002, 1, 2),
    ('ADMIN_LOGIN', 3002, 7, 1),
    ('NEW_USER', 3001, 1, 1),
    ('DELETE_USER', 3001, 6, 1),
    ('ENABLE_MULTI_FACTOR_AUTH', 3001, 10, 1),
    ('ENABLE_TWO_FACTOR_AUTH', 3001, 10, 1),
    ('DISABLE_MULTI_FACTOR_AUTH', 3001, 11, 1),
    ('GROUP_ADD_ITEM', 3006, 1, 1),
    ('GROUP_REMOVE_ITEM', 3006, 2, 1),
    ('GROUP_ADD_USER', 3006, 3, 1),
    ('GROUP_REMOVE_USER', 3006, 4, 1),
    ('GROUP_DELETION', 3006, 5, 1),
    ('GROUP_CREATION', 3006, 6, 1),
    ('UPLOAD', 6006, 1, 1),
    ('ITEM_UPLOAD', 6006, 1, 1),
    ('DOWNLOAD', 6006, 2, 1),
    ('ITEM_DOWNLOAD', 6006, 2, 1),
    ('FILE_WATERMARKED_DOWNLOAD', 6006, 2, 1),
    ('EDIT', 6006, 3, 1),
    ('ITEM_MODIFY', 6006, 3, 1),
    ('DELETE', 6006, 4, 1),
    ('ITEM_TRASH', 6006, 4, 1),
    ('RENAME', 6006, 5, 1),
    ('ITEM_RENAME', 6006, 5, 1),
    ('COPY', 6006, 6, 1),
    ('ITEM_COPY', 6006, 6, 1),
    ('MOVE', 6006, 7, 1),
    ('ITEM_MOVE', 6006, 7, 1),
    ('UNDELETE', 6006, 8, 1),
    ('ITEM_UNDELETE_VIA_TRASH', 6006, 8, 1),
    ('FILE_VERSION_RESTORE', 6006, 8, 1),
    ('ITEM_MAKE_CURRENT_VERSION', 6006, 8, 1),
    ('PREVIEW', 6006, 9, 1),
    ('ITEM_PREVIEW', 6006, 9, 1),
    ('LOCK', 6006, 10, 1),
    ('LOCK_CREATE', 6006, 10, 1),
    ('UNLOCK', 6006, 11, 1),
    ('LOCK_DESTROY', 6006, 11, 1),
    ('SHARE', 6006, 12, 1),
    ('ITEM_SHARED_CREATE', 6006, 12, 1),
    ('ITEM_SHARED', 6006, 12, 1),
    ('COLLABORATION_INVITE', 6006, 12, 1),
    ('COLLAB_INVITE_COLLABORATOR', 6006, 12, 1),
    ('UNSHARE', 6006, 13, 1),
    ('ITEM_SHARED_UNSHARE', 6006, 13, 1),
    ('COLLABORATION_REMOVE', 6006, 13, 1),
    ('COLLAB_REMOVE_COLLABORATOR', 6006, 13, 1),
    ('ITEM_OPEN', 6006, 14, 1),
    ('ITEM_SYNC', 6006, 15, 1),
    ('ITEM_UNSYNC', 6006, 16, 1),
    ('SHIELD_ALERT', 2004, 1, 1),
    ('FILE_MARKED_MALICIOUS', 2004, 1, 1),
] %}
{%- for event_type, class_uid, activity_id, status_id in mapping %}
{%- set cls = classes[class_uid] %}
{%- set activity = cls.activities[activity_id] %}
{%- set status = statuses['finding' if cls.category_uid == 2 else 'event'][status_id] %}
select
    '{{ event_type }}' as event_type,
    {{ class_uid }} as class_uid,
    '{{ cls.name }}' as class_name,
    {{ cls.category_uid }} as category_uid,
    '{{ categories[cls.category_uid] }}' as category_name,
    {{ activity_id }} as activity_id,
    '{{ activity }}' as activity_name,
    {{ class_uid * 100 + activity_id }} as type_uid,
    '{{ cls.name }}: {{ activity }}' as type_name,
    {{ status_id }} as status_id,
    '{{ status }}' as status,
    '{{ version }}' as ocsf_version
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
