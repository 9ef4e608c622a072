"""Generated events have the shapes real Box sends (tests/fixtures/box_samples/, FINDINGS.md).

Each test generates a few days, reads them as served (the oracle returns the served bytes) and
compares key sets with the public sample of the same kind.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from box_emulator import Emulator, EmulatorConfig, ManualClock
from box_emulator.testing import DEFAULT_TEST_NOW

NOW = DEFAULT_TEST_NOW
SAMPLES = Path(__file__).parents[1] / "fixtures" / "box_samples"
ANONYMOUS = {"type": "user", "id": "2", "name": "Unknown User", "login": ""}
DISPLAY_ROLES = {
    "Editor",
    "Viewer",
    "Previewer",
    "Uploader",
    "Previewer Uploader",
    "Viewer Uploader",
    "Co-owner",
    "Owner",
}
CATEGORIES = {"Suspicious Locations", "Suspicious Sessions", "Anomalous Download", "Malicious Content"}


def _sample(prefix: str) -> dict[str, Any]:
    (path,) = SAMPLES.glob(f"{prefix}_*.json")
    return json.loads(path.read_text())["event"]


def _alert(event: dict[str, Any]) -> dict[str, Any]:
    return event["additional_details"]["shield_alert"]


def _served(emu: Emulator, days: int) -> list[dict[str, Any]]:
    return emu.oracle.events(NOW - timedelta(days=days), NOW)


@pytest.fixture(scope="module")
def generated() -> list[dict[str, Any]]:
    """Ten whole days of the default mix (and the parts of the days around them)."""
    return _served(Emulator(EmulatorConfig(seed=11), clock=ManualClock(NOW)), 11)


@pytest.fixture(scope="module")
def alerts() -> list[dict[str, Any]]:
    """Many natural Shield alerts: a floor of one event of every type each day, for 150 days."""
    emu = Emulator(
        EmulatorConfig(seed=11, events_per_day=20, scenarios=[], floor_period_days=1), clock=ManualClock(NOW)
    )
    events = [e for e in _served(emu, 150) if e["event_type"] == "SHIELD_ALERT"]
    assert len(events) >= 149
    return events


def _by_category(alerts: list[dict[str, Any]], category: str) -> list[dict[str, Any]]:
    found = [_alert(e) for e in alerts if _alert(e)["rule_category"] == category]
    assert found, f"no {category} alert"
    return found


def _assert_ip_info(info: dict[str, Any], sample_info: dict[str, Any]) -> None:
    # registrant is optional (the sample of a typical session has none)
    assert set(sample_info) - {"registrant"} <= set(info) <= set(sample_info) | {"registrant"}
    assert all(isinstance(info[k], str) for k in ("latitude", "longitude"))
    ipaddress.ip_address(info["ip"])


def test_every_shield_alert_is_raised_by_box_about_a_user_named_by_email(generated, alerts):
    generated_alerts = [e for e in generated if e["event_type"] == "SHIELD_ALERT"]
    assert generated_alerts
    for event in [*generated_alerts, *alerts]:
        assert event["created_by"] == ANONYMOUS
        assert event["source"] is None and event.get("session_id") is None
        assert event["ip_address"] == "Unknown IP" or ipaddress.ip_address(event["ip_address"])
        alert = _alert(event)
        user = alert["user"]
        assert set(user) == {"id", "name", "email"} and type(user["id"]) is int
        assert user["email"].endswith("@example.com")
        assert type(alert["alert_id"]) is int and type(alert["risk_score"]) is int
        assert isinstance(alert["rule_id"], int | str) and alert["rule_name"]
        assert alert["rule_category"] in CATEGORIES
        assert alert["link"].endswith(f"/shield/alerts/{alert['alert_id']}")
        assert alert["priority"] in ("low", "medium", "high")
        assert alert["created_at"] < event["created_at"]
    assert {_alert(e)["rule_category"] for e in alerts} == CATEGORIES


def test_shield_alert_keys_are_those_of_the_public_samples(alerts):
    documented = set(_alert(_sample("31")))  # 31-34 share these keys (34 adds malware_info)
    assert documented == set(_alert(_sample("32"))) == set(_alert(_sample("33")))
    tenant = set(_alert(_sample("35")))
    for event in alerts:
        keys = set(_alert(event))
        assert keys in (documented, documented | {"malware_info"}, tenant), keys


def test_suspicious_locations_summary_is_alert_activities_with_ip_info(alerts):
    sample = _alert(_sample("31"))["alert_summary"]
    activity = sample["alert_activities"][0]
    for alert in _by_category(alerts, "Suspicious Locations"):
        summary = alert["alert_summary"]
        assert set(summary) == set(sample)
        for got in summary["alert_activities"]:
            assert set(got) == set(activity)
            assert isinstance(got["item_id"], str)
            _assert_ip_info(got["ip_info"], activity["ip_info"])


def test_suspicious_sessions_summary_has_typed_sessions_of_activities(alerts):
    sample = _alert(_sample("32"))["alert_summary"]
    activity = sample["sessions"][0]["activities"][0]
    for alert in _by_category(alerts, "Suspicious Sessions"):
        summary = alert["alert_summary"]
        assert set(summary) == set(sample)
        assert {s["session_type"] for s in summary["sessions"]} == {"suspicious", "typical"}
        for session in summary["sessions"]:
            assert set(session) == set(sample["sessions"][0])
            for got in session["activities"]:
                assert set(got) == set(activity)
                _assert_ip_info(got["ip_info"], activity["ip_info"])


def test_anomalous_download_summary_has_string_sizes_periods_and_download_ips(alerts):
    sample = _alert(_sample("33"))["alert_summary"]
    unknown = 0
    for alert in _by_category(alerts, "Anomalous Download"):
        summary = alert["alert_summary"]
        assert set(summary) == set(sample)
        assert re.fullmatch(r"\d+ Mb", summary["download_delta_size"])
        assert type(summary["download_delta_percent"]) is int
        for period in ("historical_period", "anomaly_period"):
            got, want = summary[period], sample[period]
            assert set(got) == set(want) and set(got["date_range"]) == set(want["date_range"])
            assert re.fullmatch(r"\d+ Mb", got["download_size"])
            assert type(got["downloaded_files_count"]) is int
        for entry in summary["download_ips"]:
            assert set(entry) == {"ip"}
            unknown += entry["ip"] == "Unknown IP"
            assert entry["ip"] == "Unknown IP" or ipaddress.ip_address(entry["ip"])
    assert unknown, "Box's 'Unknown IP' should occur inside download_ips too"


def test_malicious_content_comes_in_both_layouts(alerts):
    documented, tenant, sparse = (_alert(_sample(p)) for p in ("34", "35", "36"))
    found = _by_category(alerts, "Malicious Content")
    beside = [a for a in found if "malware_info" in a]
    inside = [a for a in found if "malware_info" in a["alert_summary"]]
    assert beside and inside and len(beside) + len(inside) == len(found)
    for alert in beside:  # Box's docs: malware_info next to alert_summary
        assert set(alert["alert_summary"]) == set(documented["alert_summary"])
        upload = alert["alert_summary"]["upload_activity"]
        assert set(upload) == set(documented["alert_summary"]["upload_activity"])
        assert set(alert["malware_info"]) == set(documented["malware_info"])
        assert type(alert["malware_info"]["file_id"]) is int
        assert set(alert["malware_info"]["file_created_by"]) == {"id", "name", "email"}
    uploads = set()
    for alert in inside:  # a real tenant: malware_info inside alert_summary
        summary, want = alert["alert_summary"], tenant["alert_summary"]
        assert set(summary) == set(want)
        assert set(summary["malware_info"]) == {"threat_info", "file_info"}
        for part in ("threat_info", "file_info"):
            assert set(summary["malware_info"][part]) == set(want["malware_info"][part])
        assert type(summary["malware_info"]["file_info"]["id"]) is int
        keys = frozenset(summary["upload_activity"])
        assert keys in (set(want["upload_activity"]), set(sparse["alert_summary"]["upload_activity"]))
        uploads.add(keys)
    assert len(uploads) == 2, "both the full and the bare upload_activity should occur"


def test_rule_ids_are_numbers_for_some_seeds_and_strings_for_others():
    kinds = set()
    for seed in range(8):
        day = date(2026, 11, 20)
        emu = Emulator(
            EmulatorConfig(
                seed=seed, events_per_day=10, mix="benign", scenarios=[("shield_anomalous_download", day)]
            ),
            clock=ManualClock(NOW),
        )
        (incident,) = emu.planted()
        served = {e["event_id"]: e for e in _served(emu, 4)}
        kinds.add(type(_alert(served[incident.event_ids[0]])["rule_id"]))
    assert kinds == {int, str}


def test_collaboration_events_have_box_roles_and_the_collaboration_source(generated):
    sample = _sample("18")
    collabs = [e for e in generated if e["event_type"].startswith("COLLABORATION_")]
    assert {e["event_type"] for e in collabs} >= {
        "COLLABORATION_INVITE",
        "COLLABORATION_ROLE_CHANGE",
        "COLLABORATION_REMOVE",
    }
    for event in collabs:
        details, source = event["additional_details"], event["source"]
        assert details["type"] == sample["additional_details"]["type"]
        assert details["role"] in DISPLAY_ROLES
        assert isinstance(details["collab_id"], str) and isinstance(details["is_performed_by_admin"], bool)
        assert set(source) == set(sample["source"])  # folder_id, folder_name, user_id, user_name, ...
        assert set(source["parent"]) == set(sample["source"]["parent"])
        assert source["user_id"] == event["accessible_by"]["id"]
        if event["event_type"] == "COLLABORATION_INVITE":
            assert set(details) == set(sample["additional_details"])
    assert {e["additional_details"]["role"] for e in collabs} > {"Editor", "Viewer"}


def test_group_membership_events_have_the_user_as_source_and_the_group_in_details(generated):
    sample = _sample("21")
    members = [e for e in generated if e["event_type"] in ("GROUP_ADD_USER", "GROUP_REMOVE_USER")]
    assert {e["event_type"] for e in members} == {"GROUP_ADD_USER", "GROUP_REMOVE_USER"}
    for event in members:
        assert set(event["source"]) == set(sample["source"]) and event["source"]["type"] == "user"
        assert set(event["additional_details"]) == set(sample["additional_details"])
        assert isinstance(event["additional_details"]["group_id"], str)
