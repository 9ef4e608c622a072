"""Each detection fires on the incident the emulator plants, and stays quiet on a clean day."""

from __future__ import annotations

import pytest

from box_emulator import SCENARIO_KINDS
from tests.transforms.world import END, NOW, build_world

DETECTION_COLUMNS = "detection, occurred_on, actor_login, subject, event_ids, severity, event_count, summary"
SEVERITIES = {"info", "low", "medium", "high", "critical"}


def _findings(world, kind: str) -> list[tuple]:
    return world.query(f"select {DETECTION_COLUMNS} from detections where detection = '{kind}'")


def test_one_incident_of_every_kind_was_planted(world):
    assert sorted(incident.kind for incident in world.planted) == sorted(SCENARIO_KINDS)


@pytest.mark.parametrize("kind", SCENARIO_KINDS)
def test_detection_fires_on_the_planted_incident(world, kind):
    incident = next(i for i in world.planted if i.kind == kind)
    matches = [
        row
        for row in _findings(world, kind)
        if row[1] == incident.day
        and row[2] == incident.actor_login
        and set(incident.event_ids) <= set(row[4].split(","))
    ]
    assert len(matches) == 1, f"{kind}: planted {incident}, found {_findings(world, kind)}"
    _, _, _, subject, _, severity, event_count, summary = matches[0]
    assert severity in SEVERITIES and summary
    assert event_count >= len(incident.event_ids)
    if incident.subject_login is not None:
        assert subject == incident.subject_login


def test_every_detection_view_feeds_the_detections_table(world):
    for kind in SCENARIO_KINDS:
        in_view = world.query(f"select count(*) from detect_{kind}")
        in_table = world.query(f"select count(*) from detections where detection = '{kind}'")
        assert in_view == in_table and in_view[0][0] >= 1, kind


def test_detection_ids_are_unique(world):
    (rows, distinct), *_ = world.query("select count(*), count(distinct detection_id) from detections")
    assert rows == distinct > 0


def test_detections_stay_quiet_on_clean_days(tmp_path):
    clean = build_world(
        tmp_path, start=END - 3 * (NOW - END), end=END, seed=5, events_per_day=2500,
        mix="benign", scenarios=[],
    )  # fmt: skip
    assert clean.counts.get("DOWNLOAD", 0) > 500, "too quiet a day to prove anything"
    assert clean.query("select count(*) from detections") == [(0,)]


def test_summaries_are_never_empty_and_count_words_agree_with_their_numbers(world):
    rows = world.query("select subject, summary from detections")
    assert rows
    assert all(summary for _, summary in rows), "a summary came out NULL or empty"
    for subject, _ in rows:
        if subject and subject.split(" ", 1)[0] == "1":
            assert not subject.endswith("s"), f"{subject!r}: one of something is singular"
