"""The catalog of Box enterprise event types: names, weights, families, benign-ness.

Why a catalog: the generator needs, for every type, how often it happens (weight), how its
`source` and `additional_details` are shaped (family, see `generator.py`), whether it may appear
in a "benign" day (no security, admin or external-sharing signal), and which user-stream name
(if any) it maps to.

`BOX_EVENT_TYPES` is the union of the OpenAPI `event_type` enum and Box's enterprise event
table (both spellings `SIGN_DOCUMENT_VIEWED_BY_SIGNED` / `..._SIGNER` appear in Box's own
material, so both are served). `UNLISTED_EVENT_TYPES` are plausible types Box does not list:
about 1% of generated events use them, because new types appear in production before the docs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EventTypeSpec:
    """How one event type is generated."""

    name: str
    family: str
    weight: float
    benign: bool = True
    official: bool = True


# family -> list of (name, weight, benign). Weights are relative, per 1000 events roughly.
# The rare risky types are calibrated to a real enterprise of 1,000 people at about 40,000
# events a weekday (32,000 a day over a week): one unit of weight is then about 37 events a day,
# so 0.0003 is about one event a quarter.
_CATALOG: dict[str, list[tuple[str, float, bool]]] = {
    "content": [
        ("PREVIEW", 170, True),
        ("DOWNLOAD", 110, True),
        ("ITEM_OPEN", 85, True),
        ("CONTENT_ACCESS", 85, True),
        ("UPLOAD", 80, True),
        ("EDIT", 55, True),
        ("ITEM_MODIFY", 25, True),
        ("DELETE", 14, True),
        ("COPY", 12, True),
        ("MOVE", 12, True),
        ("RENAME", 10, True),
        ("ITEM_SYNC", 5, True),
        ("LOCK", 4, True),
        ("UNLOCK", 4, True),
        ("ANNOTATIONV2_CREATE", 3, True),
        ("UNDELETE", 2, True),
        ("FILE_WATERMARKED_DOWNLOAD", 2, True),
        ("ITEM_UNSYNC", 1.5, True),
        ("ANNOTATIONV2_EDIT", 1, True),
        ("ANNOTATIONV2_DELETE", 0.5, True),
        ("STORAGE_EXPIRATION", 0.5, True),
        ("WATERMARK_LABEL_CREATE", 0.3, True),
        ("WATERMARK_LABEL_DELETE", 0.2, True),
    ],
    "sharing": [
        ("SHARE", 15, True),
        ("ITEM_SHARED_UPDATE", 5, True),
        ("UNSHARE", 3, True),
        ("SHARE_EXPIRATION", 1, True),
        ("UPDATE_SHARE_EXPIRATION", 0.8, True),
    ],
    "collaboration": [
        ("COLLABORATION_INVITE", 10, True),
        ("COLLABORATION_ACCEPT", 8, True),
        ("COLLABORATION_REMOVE", 3, True),
        ("COLLABORATION_ROLE_CHANGE", 2, True),
        ("CHANGE_FOLDER_PERMISSION", 1, True),
        ("COLLABORATION_EXPIRATION", 0.5, True),
        ("UPDATE_COLLABORATION_EXPIRATION", 0.4, True),
    ],
    "authentication": [
        ("LOGIN", 95, True),
        ("FAILED_LOGIN", 6, True),
        ("ADD_LOGIN_ACTIVITY_DEVICE", 3, True),
        ("REMOVE_LOGIN_ACTIVITY_DEVICE", 1, True),
        ("ADD_DEVICE_ASSOCIATION", 1, True),
        ("REMOVE_DEVICE_ASSOCIATION", 0.5, True),
        ("ADMIN_LOGIN", 0.05, False),
        ("DEVICE_TRUST_CHECK_FAILED", 0.3, False),
        ("EDR_CROWDSTRIKE_ACCESS_REVOKED", 0.0003, False),
        ("DISABLE_MULTI_FACTOR_AUTH", 0.0003, False),
    ],
    "users": [
        ("EDIT_USER", 1.5, True),
        ("NEW_USER", 0.05, True),
        ("TERMS_OF_SERVICE_ACCEPT", 0.5, True),
        ("EMAIL_ALIAS_CONFIRM", 0.3, True),
        ("EMAIL_ALIAS_REMOVE", 0.1, True),
        ("TERMS_OF_SERVICE_REJECT", 0.05, True),
        ("DELETE_USER", 0.03, False),
        ("CHANGE_ADMIN_ROLE", 0.0008, False),  # a third are promotions
    ],
    "groups": [
        ("GROUP_ADD_USER", 2, True),
        ("GROUP_REMOVE_USER", 1, True),
        ("GROUP_ADD_ITEM", 0.5, True),
        ("GROUP_CREATION", 0.3, True),
        ("GROUP_EDITED", 0.3, True),
        ("GROUP_REMOVE_ITEM", 0.2, True),
        ("GROUP_DELETION", 0.1, True),
    ],
    "shield_alert": [("SHIELD_ALERT", 0.0027, False)],  # a few a month, mostly low risk
    "shield": [
        ("SHIELD_DOWNLOAD_BLOCKED", 0.05, False),
        ("SHIELD_EXTERNAL_COLLAB_ACCESS_BLOCKED", 0.05, False),
        ("SHIELD_EXTERNAL_COLLAB_ACCESS_BLOCKED_MISSING_JUSTIFICATION", 0.03, False),
        ("SHIELD_EXTERNAL_COLLAB_INVITE_BLOCKED", 0.05, False),
        ("SHIELD_EXTERNAL_COLLAB_INVITE_BLOCKED_MISSING_JUSTIFICATION", 0.03, False),
        ("SHIELD_EXTERNAL_COLLAB_INVITE_JUSTIFIED", 0.05, False),
        ("SHIELD_JUSTIFICATION_APPROVAL", 0.03, False),
        ("SHIELD_SHARED_LINK_ACCESS_BLOCKED", 0.05, False),
        ("SHIELD_SHARED_LINK_STATUS_RESTRICTED_ON_CREATE", 0.03, False),
        ("SHIELD_SHARED_LINK_STATUS_RESTRICTED_ON_UPDATE", 0.03, False),
    ],
    "malicious": [("FILE_MARKED_MALICIOUS", 0.0005, False)],
    "detection": [("AI_SECURITY_DETECTION", 0.0003, False)],
    "barrier": [("SHIELD_INFORMATION_BARRIER_DISABLED", 0.0001, False)],
    "workflow": [
        ("CONTENT_WORKFLOW_ABNORMAL_DOWNLOAD_ACTIVITY", 0.0005, False),
        ("CONTENT_WORKFLOW_SHARING_POLICY_VIOLATION", 0.05, False),
        ("CONTENT_WORKFLOW_UPLOAD_POLICY_VIOLATION", 0.05, False),
        ("CONTENT_WORKFLOW_POLICY_ADD", 0.02, False),
        ("CONTENT_WORKFLOW_AUTOMATION_ADD", 0.02, False),
        ("CONTENT_WORKFLOW_AUTOMATION_DELETE", 0.02, False),
        ("EXTERNAL_COLLAB_SECURITY_SETTINGS", 0.02, False),
    ],
    "governance": [
        ("RETENTION_POLICY_ASSIGNMENT_ADD", 0.03, False),
        ("DATA_RETENTION_CREATE_RETENTION", 0.03, False),
        ("DATA_RETENTION_REMOVE_RETENTION", 0.00015, False),
        ("LEGAL_HOLD_ASSIGNMENT_CREATE", 0.02, False),
        ("LEGAL_HOLD_ASSIGNMENT_DELETE", 0.0003, False),
        ("LEGAL_HOLD_POLICY_CREATE", 0.02, False),
        ("LEGAL_HOLD_POLICY_DELETE", 0.00015, False),
        ("LEGAL_HOLD_POLICY_UPDATE", 0.01, False),
    ],
    "metadata": [
        ("METADATA_INSTANCE_CREATE", 2, True),
        ("METADATA_INSTANCE_UPDATE", 1.5, True),
        ("METADATA_INSTANCE_DELETE", 0.3, True),
        ("METADATA_TEMPLATE_CREATE", 0.05, True),
        ("METADATA_TEMPLATE_UPDATE", 0.05, True),
        ("METADATA_TEMPLATE_DELETE", 0.02, True),
    ],
    "sign": [
        ("SIGN_DOCUMENT_CREATED", 0.4, True),
        ("SIGN_DOCUMENT_CONVERTED", 0.3, True),
        ("SIGN_DOCUMENT_ASSIGNED", 0.4, True),
        ("SIGN_DOCUMENT_VIEWED_BY_SIGNER", 0.3, True),
        ("SIGN_DOCUMENT_VIEWED_BY_SIGNED", 0.1, True),
        ("SIGN_DOCUMENT_SIGNED", 0.3, True),
        ("SIGN_DOCUMENT_COMPLETED", 0.3, True),
        ("SIGN_DOCUMENT_DECLINED", 0.05, True),
        ("SIGN_DOCUMENT_CANCELLED", 0.05, True),
        ("SIGN_DOCUMENT_EXPIRED", 0.05, True),
        ("SIGNER_DOWNLOADED", 0.2, True),
        ("SIGNER_FORWARDED", 0.05, True),
    ],
    "apps": [
        ("USER_AUTHENTICATE_OAUTH2_ACCESS_TOKEN_CREATE", 3, True),
        ("OAUTH2_ACCESS_TOKEN_REVOKE", 0.2, True),
        ("ENTERPRISE_APP_AUTHORIZATION_UPDATE", 0.05, False),
        ("APPLICATION_CREATED", 0.03, False),
        ("APPLICATION_PUBLIC_KEY_ADDED", 0.0003, False),
        ("APPLICATION_PUBLIC_KEY_DELETED", 0.02, False),
        ("ACCESS_GRANTED", 0.0003, False),  # access granted to Box support
        ("ACCESS_REVOKED", 0.0003, False),
    ],
    "tasks": [
        ("TASK_CREATE", 1, True),
        ("TASK_ASSIGNMENT_CREATE", 1, True),
        ("TASK_UPDATE", 0.5, True),
        ("TASK_ASSIGNMENT_UPDATE", 0.5, True),
        ("TASK_ASSIGNMENT_DELETE", 0.2, True),
    ],
    "comments": [("COMMENT_CREATE", 5, True), ("COMMENT_DELETE", 0.5, True)],
    "collections": [
        ("COLLECTION_ITEM_CREATE", 0.8, True),
        ("COLLECTION_CREATE", 0.2, True),
        ("COLLECTION_UPDATE", 0.2, True),
        ("COLLECTION_ITEM_UPDATE", 0.2, True),
        ("COLLECTION_ITEM_DELETE", 0.2, True),
        ("COLLECTION_DELETE", 0.1, True),
    ],
}

#: The rare risky types a real enterprise sees a handful of times a month at most (the catalog's
#: high and critical ones, Box support access and application keys; CHANGE_ADMIN_ROLE counts
#: only as a promotion): at 1,000 users and natural rates together about 0.13 a day.
HIGH_RISK_EVENT_TYPES: tuple[str, ...] = (
    "DISABLE_MULTI_FACTOR_AUTH",
    "LEGAL_HOLD_POLICY_DELETE",
    "LEGAL_HOLD_ASSIGNMENT_DELETE",
    "DATA_RETENTION_REMOVE_RETENTION",
    "CONTENT_WORKFLOW_ABNORMAL_DOWNLOAD_ACTIVITY",
    "AI_SECURITY_DETECTION",
    "EDR_CROWDSTRIKE_ACCESS_REVOKED",
    "SHIELD_INFORMATION_BARRIER_DISABLED",
    "FILE_MARKED_MALICIOUS",
    "APPLICATION_PUBLIC_KEY_ADDED",
    "ACCESS_GRANTED",
    "CHANGE_ADMIN_ROLE",
)

#: Types Box does not list (yet): consumers must load them like any other.
UNLISTED_EVENT_TYPES: tuple[str, ...] = (
    "AI_QUERY",
    "BOX_AI_ASK",
    "HUB_ITEM_CREATE",
    "HUB_CREATE",
    "DOC_GEN_DOCUMENT_GENERATED",
    "RELAY_WORKFLOW_RUN",
)

#: Share of all generated events that use an unlisted type (default mix).
UNLISTED_SHARE = 0.01

EVENT_TYPE_SPECS: dict[str, EventTypeSpec] = {}
for _family, _rows in _CATALOG.items():
    for _name, _weight, _benign in _rows:
        EVENT_TYPE_SPECS[_name] = EventTypeSpec(_name, _family, float(_weight), _benign)

_official_total = sum(s.weight for s in EVENT_TYPE_SPECS.values())
_unlisted_weight = _official_total * UNLISTED_SHARE / (1 - UNLISTED_SHARE) / len(UNLISTED_EVENT_TYPES)
for _name in UNLISTED_EVENT_TYPES:
    EVENT_TYPE_SPECS[_name] = EventTypeSpec(_name, "unlisted", _unlisted_weight, benign=False, official=False)

#: The official enterprise event type names (OpenAPI enum ∪ Box's enterprise event table).
BOX_EVENT_TYPES: tuple[str, ...] = tuple(sorted(n for n, s in EVENT_TYPE_SPECS.items() if s.official))

#: Types a "benign" day may contain: no security, admin-role or external-sharing signal.
BENIGN_EVENT_TYPES: tuple[str, ...] = tuple(sorted(n for n, s in EVENT_TYPE_SPECS.items() if s.benign))

#: Enterprise name -> user-stream name, for the `all` stream (Box's user event names).
USER_STREAM_NAMES: dict[str, str] = {
    "UPLOAD": "ITEM_UPLOAD",
    "EDIT": "ITEM_UPLOAD",
    "DOWNLOAD": "ITEM_DOWNLOAD",
    "PREVIEW": "ITEM_PREVIEW",
    "MOVE": "ITEM_MOVE",
    "COPY": "ITEM_COPY",
    "RENAME": "ITEM_RENAME",
    "DELETE": "ITEM_TRASH",
    "UNDELETE": "ITEM_UNDELETE_VIA_TRASH",
    "LOCK": "LOCK_CREATE",
    "UNLOCK": "LOCK_DESTROY",
    "ITEM_SYNC": "ITEM_SYNC",
    "ITEM_UNSYNC": "ITEM_UNSYNC",
    "COLLABORATION_INVITE": "COLLAB_INVITE_COLLABORATOR",
    "COLLABORATION_ACCEPT": "COLLAB_ADD_COLLABORATOR",
    "COLLABORATION_ROLE_CHANGE": "COLLAB_ROLE_CHANGE",
    "COLLABORATION_REMOVE": "COLLAB_REMOVE_COLLABORATOR",
    "GROUP_ADD_USER": "GROUP_ADD_USER",
    "GROUP_REMOVE_USER": "GROUP_REMOVE_USER",
    "COMMENT_CREATE": "COMMENT_CREATE",
    "COMMENT_DELETE": "COMMENT_DELETE",
    "TASK_CREATE": "TASK_CREATE",
    "TASK_ASSIGNMENT_CREATE": "TASK_ASSIGNMENT_CREATE",
    "SHARE": "ITEM_SHARED_CREATE",
    "UNSHARE": "ITEM_SHARED_UNSHARE",
    "ACCESS_GRANTED": "ACCESS_GRANTED",
    "ACCESS_REVOKED": "ACCESS_REVOKED",
}

#: User-stream names that the `changes` and `sync` streams carry (file-tree changes).
CHANGES_STREAM_NAMES: frozenset[str] = frozenset(
    {
        "ITEM_UPLOAD",
        "ITEM_MOVE",
        "ITEM_COPY",
        "LOCK_CREATE",
        "LOCK_DESTROY",
        "ITEM_TRASH",
        "ITEM_UNDELETE_VIA_TRASH",
        "COLLAB_ADD_COLLABORATOR",
        "COLLAB_ROLE_CHANGE",
        "COLLAB_INVITE_COLLABORATOR",
        "COLLAB_REMOVE_COLLABORATOR",
        "ITEM_SYNC",
        "ITEM_UNSYNC",
        "ITEM_RENAME",
        "GROUP_ADD_USER",
        "GROUP_REMOVE_USER",
    }
)


def family_of(event_type: str) -> str:
    """The generator family of a type (unknown names are `unlisted`)."""
    spec = EVENT_TYPE_SPECS.get(event_type)
    return spec.family if spec else "unlisted"
