"""The detection library on the emulator's world: every incident the emulator plants is found by the
rule of the same name, exactly once, with every planted event; and a benign world raises nothing.
(Each rule's own positive and near-miss cases are in test_detection_rules.py.)"""

from __future__ import annotations

import pytest

from box_emulator import SCENARIO_KINDS
from tests.transforms.world import END, NOW, build_world


def test_one_incident_of_every_kind_was_planted(world):
    assert sorted(incident.kind for incident in world.planted) == sorted(SCENARIO_KINDS)


def test_every_planted_kind_is_a_rule(world):
    rules = {row[0] for row in world.query("select rule_id from detection_rules where kind = 'rule'")}
    assert set(SCENARIO_KINDS) <= rules


SEVERITIES = {"info", "low", "medium", "high", "critical"}
PLANTED_SEVERITY = {
    "external_collab_invite": "high",  # a free-mail address as Co-owner
    "open_shared_link": "high",  # a Confidential file open to anyone
    "shield_anomalous_download": "high",  # risk 80 or more
    "shield_suspicious_login": "high",
    "malicious_file": "critical",
}
"""What the planted incidents are worth: the severities that depend on the event, not the rule."""


@pytest.mark.parametrize("kind", SCENARIO_KINDS)
def test_the_rule_finds_its_planted_incident_whole(world, kind):
    incident = next(i for i in world.planted if i.kind == kind)
    rows = world.query(
        f"select occurred_on, event_ids, severity, summary from detections where rule_id = '{kind}'"
    )
    touching = [row for row in rows if set(row[1].split(",")) & set(incident.event_ids)]
    assert len(touching) == 1, f"{kind}: planted {incident}, found {touching}"
    occurred_on, event_ids, severity, summary = touching[0]
    assert set(incident.event_ids) <= set(event_ids.split(",")), f"{kind}: the finding misses planted events"
    assert occurred_on == incident.day and summary
    assert severity == PLANTED_SEVERITY.get(kind, severity) and severity in SEVERITIES, f"{kind}: {severity}"


def test_detection_ids_are_unique_and_summaries_never_empty(world):
    rows = world.query("select detection_id, summary from detections")
    assert rows and len({r[0] for r in rows}) == len(rows)
    assert all(summary and summary.strip() for _, summary in rows), "a summary came out NULL or empty"


def test_a_benign_world_raises_nothing_above_low(tmp_path):
    """Routine changes a SOC may still want listed (a new login device, a folder handed over to a
    colleague) are low; nothing in a benign world is worth a medium or worse."""
    clean = build_world(
        tmp_path, start=END - 3 * (NOW - END), end=END, seed=5, events_per_day=2500,
        mix="benign", scenarios=[],
    )  # fmt: skip
    assert clean.counts.get("DOWNLOAD", 0) > 500, "too quiet a day to prove anything"
    assert clean.query("select rule_id, summary from detections where severity not in ('info', 'low')") == []
    assert clean.query("select count(*) from detections")[0][0] > 0, "the rules saw nothing at all"
