"""The contract: real Box payload shapes (tests/fixtures/box_samples/, each with where its shape comes
from) replayed through the emulator's admin_logs API, loaded by the real pipeline and built by the
dbt project, land with the columns an analyst reads filled from where real Box puts them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.box_events.event_types import load_catalog
from tests.conftest import api_for
from tests.transforms.pg import throwaway_postgres
from transforms import run_transforms

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "box_samples"
SAMPLES = {p.stem: json.loads(p.read_text())["event"] for p in sorted(SAMPLES_DIR.glob("*.json"))}
ODD = {
    **SAMPLES["08_download"],
    "event_id": "odd-values-0001",
    "additional_details": {**(SAMPLES["08_download"].get("additional_details") or {}), "size": "about 2 MB"},
}
"""A download whose `size` is not a number: one odd value must become NULL, never fail the build."""
TIMES = [datetime.fromisoformat(e["created_at"]) for e in SAMPLES.values()]
START = min(TIMES).replace(hour=0, minute=0, second=0) - timedelta(days=1)
END = max(TIMES) + timedelta(days=1)
CATEGORY = {row.event_type: row.category for row in load_catalog()}


def _build(root: Path, destination: str = "duckdb", credentials: Any = None):
    pipeline = jobs.make_pipeline(
        destination,
        duckdb_path=root / "contract.duckdb",
        pipelines_dir=root / "pipelines",
        credentials=credentials,
        pipeline_name=f"contract_{root.name}",
    )
    now = END + timedelta(days=1)
    with running_emulator(clock=ManualClock(now), replay_events=[*SAMPLES.values(), ODD]) as (emu, srv):
        jobs.backfill(pipeline, start=START, end=END, api=api_for(srv, emu.config), now=now)
        assert emu.oracle.event_ids(START, END) == {e["event_id"] for e in SAMPLES.values()} | {
            ODD["event_id"]
        }
    run_transforms(pipeline)
    return pipeline


def _rows(pipeline, sql: str) -> dict[str, dict[str, Any]]:
    """Rows keyed by event_id, each as a dict of its columns."""
    with pipeline.sql_client() as client, client.execute_query(sql) as cursor:
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def contract(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"contract_{request.param}")
    if request.param == "duckdb":
        yield _build(root)
    else:
        with throwaway_postgres() as dsn:
            yield _build(root, "postgres", dsn)


def _item(source: dict[str, Any]) -> tuple[str | None, str | None]:
    def first(*keys: str) -> str | None:
        return next((str(source[k]) for k in keys if source.get(k) not in (None, "")), None)

    return first("item_id", "id", "folder_id", "file_id"), first(
        "item_name", "name", "folder_name", "file_name"
    )


def test_every_sample_is_staged_with_its_actor_item_and_category(contract):
    staged = _rows(contract, "select * from stg_box__events")
    assert set(staged) == {e["event_id"] for e in SAMPLES.values()} | {ODD["event_id"]}
    for name, event in SAMPLES.items():
        row = staged[event["event_id"]]
        actor = event.get("created_by") or {}
        assert row["event_type"] == event["event_type"], name
        assert row["category"] == CATEGORY.get(event["event_type"], "uncategorized"), name
        assert row["actor_id"] == actor.get("id"), name
        assert row["actor_is_anonymous"] == (actor.get("id") == "2"), name
        assert row["actor_login"] == (actor.get("login") or None), name
        ip = event.get("ip_address")
        assert row["ip_address"] == (None if ip in (None, "Unknown IP") else ip), name
        assert (row["item_id"], row["item_name"]) == _item(event.get("source") or {}), name


def test_shield_alerts_are_about_the_alerted_user_not_anonymous_access(contract):
    security = _rows(contract, "select * from audit_security")
    alerts = {n: e for n, e in SAMPLES.items() if e["event_type"] == "SHIELD_ALERT"}
    assert len(alerts) >= 5
    anonymous = _rows(contract, "select event_id from mart_anonymous_access")
    findings = _rows(
        contract,
        "select event_ids, actor_login, actor_id, rule_id from detections where rule_id like 'shield%'",
    )
    for name, event in alerts.items():
        alert = event["additional_details"]["shield_alert"]
        row = security[event["event_id"]]
        assert row["subject_user_id"] == str(alert["user"]["id"]), name
        assert row["subject_user_login"] == alert["user"]["email"].lower(), name
        assert row["shield_rule_category"] == alert["rule_category"], name
        assert row["shield_risk_score"] == alert["risk_score"], name
        places = json.dumps(alert["alert_summary"])
        if '"country_code"' in places:
            assert row["shield_ip_country"] in places and row["shield_ip_city"] in places, name
        assert event["event_id"] not in anonymous, f"{name}: a Shield alert counted as anonymous access"
        assert findings[event["event_id"]]["actor_login"] == alert["user"]["email"].lower(), name
        expected_rule = {
            "Anomalous Download": "shield_anomalous_download",
            "Suspicious Locations": "shield_suspicious_login",
            "Suspicious Sessions": "shield_suspicious_login",
            "Malicious Content": "shield_malicious_content",
        }.get(alert["rule_category"], "shield_alert_other")
        assert findings[event["event_id"]]["rule_id"] == expected_rule, name


def test_collaborations_name_the_folder_the_collaborator_and_the_role(contract):
    rows = _rows(contract, "select * from audit_collaboration")
    collaborations = {n: e for n, e in SAMPLES.items() if e["event_type"].startswith("COLLABORATION_")}
    assert collaborations
    for name, event in collaborations.items():
        row = rows[event["event_id"]]
        assert row["item_id"] == event["source"]["folder_id"] and row["item_type"] == "folder", name
        assert row["collaborator_login"] == event["accessible_by"]["login"], name
        assert row["collaborator_role"] == event["additional_details"].get("role"), name
        assert row["collaborator_is_external"] == (
            not event["accessible_by"]["login"].endswith("@example.com")
        )


def test_group_membership_names_the_group_and_the_member(contract):
    rows = _rows(contract, "select * from audit_users_and_groups")
    event = SAMPLES["21_group_add_user"]
    row = rows[event["event_id"]]
    assert (row["group_id"], row["group_name"]) == (
        event["additional_details"]["group_id"],
        event["additional_details"]["group_name"],
    )
    assert (row["group_member_id"], row["group_member_login"]) == (
        event["source"]["id"],
        event["source"]["login"],
    )


def test_box_sign_requests_are_unpacked(contract):
    rows = _rows(contract, "select * from audit_box_sign")
    signs = {n: e for n, e in SAMPLES.items() if "sign_request" in (e.get("additional_details") or {})}
    assert signs
    for name, event in signs.items():
        request = event["additional_details"]["sign_request"]
        row = rows[event["event_id"]]
        assert row["sign_request_id"] == request["sign_request_id"], name
        assert row["sign_request_status"] == request["status"], name
        assert row["sign_file_name"] == request["files"][0]["name"], name


def test_every_sample_lands_in_exactly_one_audit_table_and_builds_the_dimensions(contract):
    categories = {row.category for row in load_catalog()} | {"uncategorized"}
    landed: dict[str, int] = {}
    for category in categories:
        for event_id in _rows(contract, f"select event_id from audit_{category}"):
            landed[event_id] = landed.get(event_id, 0) + 1
    assert landed == {e["event_id"]: 1 for e in [*SAMPLES.values(), ODD]}
    users = _rows(contract, "select user_id, login from dim_users")
    for event in SAMPLES.values():
        actor = event.get("created_by") or {}
        if actor.get("id") not in (None, "2"):
            assert actor["id"] in users


def test_an_odd_value_becomes_null_instead_of_failing_the_build(contract):
    rows = _rows(contract, "select event_id, file_size_bytes from audit_file_access")
    assert rows[ODD["event_id"]]["file_size_bytes"] is None
    size = SAMPLES["08_download"]["additional_details"]["size"]
    assert rows[SAMPLES["08_download"]["event_id"]]["file_size_bytes"] == size
