"""The OCSF views (sql/models/interop): each Box event of a mapped type once, in the class and with the
activity OCSF 1.8.0 defines, checked against what the emulator served; on DuckDB and on PostgreSQL.

The expected numbers below are OCSF 1.8.0's, read from github.com/ocsf/ocsf-schema at tag 1.8.0:
categories.json (category uids), events/iam/{authentication,account_change,group_management}.json,
events/application/file_hosting.json and events/findings/{finding,detection_finding}.json (class
uids within their category, activity_id enums, the Finding status enum), dictionary.json
(severity_id and status_id enums, type_uid = class_uid * 100 + activity_id, timestamp_t in epoch
milliseconds). A class_uid is category_uid * 1000 + the class's own uid (ocsf-lib-py's compiler).
They are written out again here on purpose: the model is checked against the schema, not itself.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from pipelines.box_events.event_types import load_catalog
from tests.transforms.pg import throwaway_postgres
from tests.transforms.world import SCENARIOS, World, build_world

OCSF_VERSION = "1.8.0"
CATEGORIES = {2: "Findings", 3: "Identity & Access Management", 6: "Application Activity"}
CLASSES = {
    3001: ("Account Change", "ocsf_account_change"),
    3002: ("Authentication", "ocsf_authentication"),
    3006: ("Group Management", "ocsf_group_management"),
    6006: ("File Hosting Activity", "ocsf_file_hosting_activity"),
    2004: ("Detection Finding", "ocsf_detection_finding"),
}
SEVERITY_IDS = {"unknown": 0, "info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_CAPTIONS = {0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}

_AUTH, _ACCOUNT, _GROUP, _FILE, _FINDING = 3002, 3001, 3006, 6006, 2004


def _as(class_uid: int, activity_id: int, activity_name: str, *event_types: str) -> dict[str, tuple]:
    return {event_type: (class_uid, activity_id, activity_name) for event_type in event_types}


MAPPING: dict[str, tuple[int, int, str]] = {
    # Box event type: (class_uid, activity_id, activity_name)
    **_as(_AUTH, 1, "Logon", "LOGIN", "FAILED_LOGIN"),
    **_as(_AUTH, 7, "Account Switch", "ADMIN_LOGIN"),
    **_as(_ACCOUNT, 1, "Create", "NEW_USER"),
    **_as(_ACCOUNT, 6, "Delete", "DELETE_USER"),
    **_as(_ACCOUNT, 10, "MFA Factor Enable", "ENABLE_MULTI_FACTOR_AUTH", "ENABLE_TWO_FACTOR_AUTH"),
    **_as(_ACCOUNT, 11, "MFA Factor Disable", "DISABLE_MULTI_FACTOR_AUTH"),
    **_as(_GROUP, 1, "Assign Privileges", "GROUP_ADD_ITEM"),
    **_as(_GROUP, 2, "Revoke Privileges", "GROUP_REMOVE_ITEM"),
    **_as(_GROUP, 3, "Add User", "GROUP_ADD_USER"),
    **_as(_GROUP, 4, "Remove User", "GROUP_REMOVE_USER"),
    **_as(_GROUP, 5, "Delete", "GROUP_DELETION"),
    **_as(_GROUP, 6, "Create", "GROUP_CREATION"),
    **_as(_FILE, 1, "Upload", "UPLOAD", "ITEM_UPLOAD"),
    **_as(_FILE, 2, "Download", "DOWNLOAD", "ITEM_DOWNLOAD", "FILE_WATERMARKED_DOWNLOAD"),
    **_as(_FILE, 3, "Update", "EDIT", "ITEM_MODIFY"),
    **_as(_FILE, 4, "Delete", "DELETE", "ITEM_TRASH"),
    **_as(_FILE, 5, "Rename", "RENAME", "ITEM_RENAME"),
    **_as(_FILE, 6, "Copy", "COPY", "ITEM_COPY"),
    **_as(_FILE, 7, "Move", "MOVE", "ITEM_MOVE"),
    **_as(_FILE, 8, "Restore", "UNDELETE", "ITEM_UNDELETE_VIA_TRASH"),
    **_as(_FILE, 8, "Restore", "FILE_VERSION_RESTORE", "ITEM_MAKE_CURRENT_VERSION"),
    **_as(_FILE, 9, "Preview", "PREVIEW", "ITEM_PREVIEW"),
    **_as(_FILE, 10, "Lock", "LOCK", "LOCK_CREATE"),
    **_as(_FILE, 11, "Unlock", "UNLOCK", "LOCK_DESTROY"),
    **_as(_FILE, 12, "Share", "SHARE", "ITEM_SHARED_CREATE", "ITEM_SHARED"),
    **_as(_FILE, 12, "Share", "COLLABORATION_INVITE", "COLLAB_INVITE_COLLABORATOR"),
    **_as(_FILE, 13, "Unshare", "UNSHARE", "ITEM_SHARED_UNSHARE"),
    **_as(_FILE, 13, "Unshare", "COLLABORATION_REMOVE", "COLLAB_REMOVE_COLLABORATOR"),
    **_as(_FILE, 14, "Open", "ITEM_OPEN"),
    **_as(_FILE, 15, "Sync", "ITEM_SYNC"),
    **_as(_FILE, 16, "Unsync", "ITEM_UNSYNC"),
    **_as(_FINDING, 1, "Create", "SHIELD_ALERT", "FILE_MARKED_MALICIOUS"),
}
REQUIRED = {
    # attributes OCSF 1.8.0 requires that every row of the class fills (base_event: activity_id,
    # category_uid, class_uid, metadata{product, version}, severity_id, time, type_uid; then the
    # class's own). File Hosting's required src_endpoint is left out: Box sends "Unknown IP".
    "*": (
        "activity_id", "category_uid", "class_uid", "severity_id", "time", "type_uid",
        "metadata.product.name", "metadata.version",
    ),
    _AUTH: ("user.uid",),
    _ACCOUNT: ("user.uid",),
    _GROUP: ("group.uid",),
    _FILE: ("actor.user.uid", "file.name", "file.type_id"),
    _FINDING: ("finding_info.uid",),
}  # fmt: skip


def _rows(world: World, relation: str, where: str = "") -> list[dict[str, Any]]:
    with world.pipeline.sql_client() as client:
        qualified = client.make_qualified_table_name(relation)
        with client.execute_query(f"select * from {qualified} {where}") as cursor:
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _columns(world: World, relation: str) -> list[str]:
    with world.pipeline.sql_client() as client:
        qualified = client.make_qualified_table_name(relation)
        with client.execute_query(f"select * from {qualified} where 1 = 0") as cursor:
            return [d[0] for d in cursor.description]


def _served(world: World, *event_types: str) -> dict[str, dict[str, Any]]:
    return {e["event_id"]: e for e in world.events if e["event_type"] in event_types}


def _ip(event: dict[str, Any]) -> str | None:
    return None if event["ip_address"] == "Unknown IP" else event["ip_address"]


def _epoch_ms(box_time: str) -> int:
    return int(datetime.fromisoformat(box_time).timestamp() * 1000)


def _by_event(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    ids = Counter(row["raw_event_id"] for row in rows)
    assert not [i for i, n in ids.items() if n > 1], "an event appears twice"
    return {row["raw_event_id"]: row for row in rows}


# The checks, each run on DuckDB (the shared world) and on PostgreSQL.


def check_counts_per_class_equal_the_mapped_types_in_staging(world: World) -> None:
    expected: Counter[int] = Counter()
    for event_type, count in world.query("select event_type, count(*) from stg_box__events group by 1"):
        if event_type in MAPPING:
            expected[MAPPING[event_type][0]] += count
    events = "metadata__log_name = 'admin_logs'"  # Box's events; our own findings are the rest
    in_union = dict(world.query(f"select class_uid, count(*) from ocsf_events where {events} group by 1"))
    assert in_union == dict(expected)
    for class_uid, (_, view) in CLASSES.items():
        assert world.query(f"select count(*) from {view} where {events}") == [(expected[class_uid],)], view


def check_logins_and_failed_logins(world: World) -> None:
    served = _served(world, "LOGIN", "FAILED_LOGIN")
    rows = _by_event(_rows(world, "ocsf_authentication", "where activity_id = 1"))
    assert set(rows) == set(served) and served
    for event_id, event in served.items():
        row, failed = rows[event_id], event["event_type"] == "FAILED_LOGIN"
        classification = (row["class_uid"], row["category_uid"], row["activity_id"], row["type_uid"])
        assert classification == (3002, 3, 1, 300201)
        assert (row["activity_name"], row["type_name"]) == ("Logon", "Authentication: Logon")
        assert (row["status_id"], row["status"]) == ((2, "Failure") if failed else (1, "Success"))
        details = event.get("additional_details") or {}
        assert row["status_detail"] == (details.get("failure_reason") if failed else None)
        assert row["user__uid"] == event["source"]["id"] == row["actor__user__uid"]
        assert row["actor__user__email_addr"] == (event["created_by"]["login"] or None)
        assert row["src_endpoint__ip"] == _ip(event)
        assert row["time"] == _epoch_ms(event["created_at"])
        assert row["metadata__uid"] == event_id and row["metadata__event_code"] == event["event_type"]


def check_shield_alerts_and_malicious_files_are_detection_findings(world: World) -> None:
    served = _served(world, "SHIELD_ALERT", "FILE_MARKED_MALICIOUS")
    rows = _by_event(_rows(world, "ocsf_detection_finding", "where is_alert"))
    assert set(rows) == set(served)
    assert {e["event_type"] for e in served.values()} == {"SHIELD_ALERT", "FILE_MARKED_MALICIOUS"}
    for event_id, event in served.items():
        row, details = rows[event_id], event["additional_details"]
        assert (row["class_uid"], row["category_uid"], row["type_uid"]) == (2004, 2, 200401)
        assert (row["activity_name"], row["status_id"], row["status"]) == ("Create", 1, "New")
        assert row["is_alert"] is True
        if event["event_type"] == "SHIELD_ALERT":
            alert = details["shield_alert"]
            assert row["finding_info__uid"] == str(alert["alert_id"])
            assert row["finding_info__title"] == alert["rule_name"]
            assert row["finding_info__analytic__category"] == alert["rule_category"]
            assert row["risk_score"] == alert["risk_score"]
            assert row["severity_id"] == SEVERITY_IDS[alert["priority"]]
            # Box creates the alert as the anonymous user: the actor is the user it is about
            assert event["created_by"]["id"] == "2"
            assert row["actor__user__uid"] == str(alert["user"]["id"])
            assert row["actor__user__email_addr"] == alert["user"]["email"].lower()
        else:
            assert row["finding_info__uid"] == event_id
            assert (row["severity_id"], row["severity"]) == (5, "Critical")
            assert row["malware__0__name"] == details["malware_name"]
            assert row["resources__0__uid"] == event["source"]["item_id"]
            assert row["actor__user__uid"] == event["created_by"]["id"]
        assert row["severity"] == SEVERITY_CAPTIONS[row["severity_id"]]


def check_our_findings_are_detection_findings_with_their_rule_and_triage(world: World) -> None:
    findings = {
        row[0]: row[1:]
        for row in world.query(
            "select detection_id, rule_id, rule_title, technique, tactic, status, event_ids, summary "
            "from detection_findings"
        )
    }
    rows = {
        row["finding_info__uid"]: row for row in _rows(world, "ocsf_detection_finding", "where not is_alert")
    }
    assert set(rows) == set(findings) and findings
    statuses = {"new": (1, "New"), "acknowledged": (2, "In Progress"), "suppressed": (3, "Suppressed"),
                "resolved": (4, "Resolved")}  # fmt: skip
    for detection_id, (rule_id, title, technique, tactic, status, event_ids, summary) in findings.items():
        row = rows[detection_id]
        assert (row["class_uid"], row["type_uid"], row["metadata__uid"]) == (2004, 200401, detection_id)
        assert (row["finding_info__analytic__name"], row["finding_info__title"]) == (rule_id, title)
        assert (row["attacks__0__technique__uid"], row["attacks__0__tactic__name"]) == (technique, tactic)
        assert (row["status_id"], row["status"]) == statuses[status]
        assert row["finding_info__related_event_uids"] == event_ids and row["finding_info__desc"] == summary
        assert row["finding_info__first_seen_time"] <= row["finding_info__last_seen_time"] == row["time"]


def check_classification_is_consistent(world: World) -> None:
    rows = _rows(world, "ocsf_events", "where metadata__log_name = 'admin_logs'")
    served = {e["event_id"]: e for e in world.events}
    catalog = {row.event_type: row.severity for row in load_catalog()}
    mapped = {event_id for event_id, event in served.items() if event["event_type"] in MAPPING}
    assert {row["metadata__uid"] for row in rows} == mapped
    for row in _by_event(rows).values():
        event = served[row["raw_event_id"]]
        class_uid, activity_id, activity_name = MAPPING[event["event_type"]]
        class_name = CLASSES[class_uid][0]
        assert row["metadata__uid"] == row["raw_event_id"]
        activity = (row["class_uid"], row["class_name"], row["activity_id"], row["activity_name"])
        assert activity == (class_uid, class_name, activity_id, activity_name)
        assert row["type_uid"] == class_uid * 100 + activity_id
        assert row["type_name"] == f"{class_name}: {activity_name}"
        category_uid = class_uid // 1000
        assert (row["category_uid"], row["category_name"]) == (category_uid, CATEGORIES[category_uid])
        assert row["time"] == _epoch_ms(event["created_at"]) == int(row["time_dt"].timestamp() * 1000)
        assert row["severity"] == SEVERITY_CAPTIONS[row["severity_id"]]
        if event["event_type"] != "SHIELD_ALERT":
            assert row["severity_id"] == SEVERITY_IDS[catalog[event["event_type"]]]
        product = (row["metadata__product__name"], row["metadata__product__vendor_name"])
        assert (row["metadata__version"], product) == (OCSF_VERSION, ("Box", "Box"))
        assert (row["src_endpoint__ip"] is None) or class_uid != _FINDING


CHECKS = [
    check_counts_per_class_equal_the_mapped_types_in_staging,
    check_logins_and_failed_logins,
    check_shield_alerts_and_malicious_files_are_detection_findings,
    check_our_findings_are_detection_findings_with_their_rule_and_triage,
    check_classification_is_consistent,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_on_duckdb(world, check):
    check(world)


def test_the_mapping_table_is_the_specification_in_ocsf_1_8_0_numbers(world):
    rows = world.query(
        "select event_type, class_uid, class_name, category_uid, category_name, activity_id, activity_name, "
        "type_uid, type_name, status_id, status, ocsf_version from ocsf_event_classes"
    )
    expected = []
    for event_type, (class_uid, activity_id, activity_name) in MAPPING.items():
        class_name, category_uid = CLASSES[class_uid][0], class_uid // 1000
        status = (2, "Failure") if event_type == "FAILED_LOGIN" else (1, "Success")
        if class_uid == _FINDING:
            status = (1, "New")
        expected.append(
            (
                event_type, class_uid, class_name, category_uid, CATEGORIES[category_uid], activity_id,
                activity_name, class_uid * 100 + activity_id, f"{class_name}: {activity_name}", *status,
                OCSF_VERSION,
            )
        )  # fmt: skip
    assert sorted(rows) == sorted(expected)
    assert set(MAPPING) <= {row.event_type for row in load_catalog()}, "a mapped type the catalog lacks"


def test_admin_login_is_an_account_switch_into_the_managed_users_account(world):
    served = _served(world, "ADMIN_LOGIN")
    rows = _by_event(_rows(world, "ocsf_authentication", "where activity_id = 7"))
    assert set(rows) == set(served) and served
    for event_id, event in served.items():
        row = rows[event_id]
        switch = (row["type_uid"], row["account_switch_type_id"], row["account_switch_type"])
        assert switch == (300207, 2, "Impersonate")
        assert row["user__uid"] == event["source"]["id"]
        assert row["actor__user__uid"] == event["created_by"]["id"] != row["user__uid"]


def test_group_and_account_changes_name_their_target(world):
    groups = _by_event(_rows(world, "ocsf_group_management"))
    for event_id, event in _served(world, *[t for t, m in MAPPING.items() if m[0] == _GROUP]).items():
        row, details = groups[event_id], event.get("additional_details") or {}
        membership = event["event_type"] in ("GROUP_ADD_USER", "GROUP_REMOVE_USER")
        assert row["group__uid"] == (details["group_id"] if membership else event["source"]["id"])
        assert row["user__uid"] == (event["source"]["id"] if membership else None)
    accounts = _by_event(_rows(world, "ocsf_account_change"))
    for event_id, event in _served(world, *[t for t, m in MAPPING.items() if m[0] == _ACCOUNT]).items():
        assert accounts[event_id]["user__uid"] == event["source"]["id"]
        assert accounts[event_id]["user__email_addr"] == event["source"]["login"]


def test_file_hosting_rows_carry_the_item_as_the_file(world):
    rows = _by_event(_rows(world, "ocsf_file_hosting_activity"))
    served = _served(world, *[t for t, m in MAPPING.items() if m[0] == _FILE])
    assert set(rows) == set(served)
    kinds = Counter()
    for event_id, event in served.items():
        row, source = rows[event_id], event["source"]
        # staging's item: Box's event source, a full object, or the collaboration shape
        item_type = (
            source.get("item_type") or source.get("type") or ("folder" if "folder_id" in source else None)
        )
        kinds[item_type] += 1
        assert row["file__uid"] == (source.get("item_id") or source.get("id") or source.get("folder_id"))
        assert (row["file__type_id"], row["file__type"]) == {
            "file": (1, "Regular File"),
            "folder": (2, "Folder"),
        }[item_type]
        size = (event.get("additional_details") or {}).get("size")
        assert row["file__size"] == size
    assert kinds["file"] and kinds["folder"], kinds


def test_ocsf_events_has_the_columns_every_class_view_shares(world):
    shared = _columns(world, "ocsf_mapped_events")
    assert shared[-1] == "raw_event_id"
    assert _columns(world, "ocsf_events") == [*shared[:-1], "src_endpoint__ip", "raw_event_id"]
    for _, view in CLASSES.values():
        assert _columns(world, view)[: len(shared)] == shared, view
    findings = f"select count(src_endpoint__ip) from ocsf_events where class_uid = {_FINDING}"
    assert world.query(findings) == [(0,)]


def _nest(row: dict[str, Any]) -> dict[str, Any]:
    """A flat row as the nested OCSF object its column names spell (`a__b__c` -> a.b.c); NULLs are absent."""
    nested: dict[str, Any] = {}
    for column, value in row.items():
        *parents, leaf = column.split("__")
        node = nested
        for key in parents:
            node = node.setdefault(key, {})
            assert isinstance(node, dict), f"{column}: {key} is both a value and an object"
        assert leaf not in node, f"{column} is also an object"
        if value is not None:
            node[leaf] = value
    return nested


def _get(nested: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        nested = nested.get(key) if isinstance(nested, dict) else None
    return nested


def test_every_row_nests_into_an_ocsf_object_with_the_required_attributes(world):
    for class_uid, (_, view) in CLASSES.items():
        for row in _rows(world, view):
            row.pop("raw_event_id")
            nested = _nest(row)
            missing = [p for p in (*REQUIRED["*"], *REQUIRED[class_uid]) if _get(nested, p) is None]
            assert not missing, (view, row["metadata__uid"], missing)


@pytest.fixture(scope="module")
def postgres_world(tmp_path_factory):
    """A smaller world than DuckDB's (the emulator's floor still serves every type)."""
    with throwaway_postgres() as dsn:
        yield build_world(
            tmp_path_factory.mktemp("ocsf_postgres"),
            destination="postgres",
            credentials=dsn,
            seed=11,
            events_per_day=150,
            scenarios=SCENARIOS,
        )


def test_on_postgres(postgres_world):
    assert postgres_world.reports[0].dialect == "postgres"
    for check in CHECKS:
        check(postgres_world)
