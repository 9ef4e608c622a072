-- Tasks and comments.
{{ config(**per_event_incremental()) }}
{% set d = 'e.additional_details' %}
{{ audit_table('tasks_and_comments', {
    'task_id': json_text(d, 'task_id'),
    'comment_id': json_text(d, 'comment_id'),
    'message': json_text(d, 'message'),
}) }}
