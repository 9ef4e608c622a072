"""`boxevents detections`: listing for people and SIEMs, and triage decisions that survive rebuilds.

The warehouse holds three rules' planted positives (replayed by the emulator, loaded by the
pipeline, transformed by dbt), so every finding listed is one the test can name in advance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.cli import app
from pipelines.query import run_query
from tests.conftest import NOW, api_for
from tests.transforms.detection_cases import SETTINGS, load_cases, replay_events
from transforms import Tuning, run_transforms

PLANTED = {"mass_download", "new_admin", "failed_login_burst"}
CASES = [c for c in load_cases() if c.rule_id in PLANTED and c.expect == "finding"]


class Planted:
    def __init__(self, root: Path) -> None:
        self.path = root / "warehouse.duckdb"
        self.pipelines_dir = root / "pipelines"
        self.where = ["--duckdb-path", str(self.path), "--pipelines-dir", str(self.pipelines_dir)]

    def pipeline(self):
        return jobs.make_pipeline("duckdb", duckdb_path=self.path, pipelines_dir=self.pipelines_dir)

    def transform(self, *, full: bool = False) -> None:
        run_transforms(self.pipeline(), full_rebuild=full, tuning=Tuning.of(**SETTINGS))

    def cli(self, *args: str):
        # the warehouse options belong to `detections` itself, before a triage subcommand
        if args and args[0] == "detections":
            args = ("detections", *self.where, *args[1:])
        else:
            args = (args[0], *self.where, *args[1:])
        return CliRunner().invoke(app, list(args), terminal_width=250)

    def findings(self, *args: str) -> list[dict]:
        result = self.cli("detections", "--format", "json", *args)
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.output.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Planted:
    world = Planted(tmp_path_factory.mktemp("detections_cli"))
    events = replay_events(CASES)
    with running_emulator(now=NOW, replay_events=events) as (emu, srv):
        jobs.backfill(
            world.pipeline(), start=NOW - timedelta(days=8), end=NOW, api=api_for(srv, emu.config), now=NOW
        )
    world.transform()
    return world


def test_json_lines_carry_every_column_for_a_siem(planted):
    findings = planted.findings()
    assert {f["rule_id"] for f in findings} == PLANTED
    planted_ids = {i for c in CASES for i in c.finding_ids}
    assert planted_ids <= {i for f in findings for i in f["event_ids"].split(",")}
    for finding in findings:
        assert finding["summary"] and finding["technique"].startswith("T")
        assert finding["status"] in {"new", "acknowledged", "suppressed", "resolved"}
        assert {"detection_id", "rule_title", "tactic", "first_seen_at", "last_seen_at"} <= finding.keys()


def test_severity_means_at_least_and_rule_takes_a_prefix(planted):
    high = planted.findings("--severity", "high")
    assert {f["rule_id"] for f in high} == {"mass_download", "new_admin"}
    assert {f["rule_id"] for f in planted.findings("--rule", "mass_")} == {"mass_download"}
    table = planted.cli("detections", "--severity", "medium")
    assert table.exit_code == 0 and "failed_login_burst" in table.output


def test_since_counts_back_from_now(planted):
    # the planted events are days old (the emulator's clock is NOW, which is in the past)
    age = datetime.now(UTC) - NOW
    assert planted.findings("--since", f"{int(age.total_seconds() // 3600)}h") == []
    assert planted.findings("--since", f"{int(age.days) + 10}d") == planted.findings()


def test_ack_suppress_resolve_survive_a_full_rebuild_and_a_suppression_expires(planted):
    """One test, because the decisions change the shared warehouse (the other tests only read)."""
    findings = planted.findings()
    by_rule = {f["rule_id"]: f["detection_id"] for f in reversed(findings)}  # one finding per rule
    untouched = {f["detection_id"] for f in findings} - set(by_rule.values())
    assert untouched, "every rule planted once: the test could not tell a decision from a default"
    ack = planted.cli("detections", "ack", by_rule["new_admin"][:8], "--note", "planned hand-over")
    assert ack.exit_code == 0, ack.output
    assert f"{by_rule['new_admin']}: acknowledged" in ack.output
    suppress = planted.cli(
        "detections", "suppress", by_rule["mass_download"], "--until", "30d", "--note", "backup"
    )
    assert suppress.exit_code == 0, suppress.output
    resolve = planted.cli("detections", "resolve", by_rule["failed_login_burst"], "--note", "password reset")
    assert resolve.exit_code == 0, resolve.output

    def states() -> dict[str, tuple]:
        return {f["detection_id"]: (f["status"], f["note"]) for f in planted.findings()}

    expected = {detection_id: ("new", None) for detection_id in untouched}
    expected[by_rule["new_admin"]] = ("acknowledged", "planned hand-over")
    expected[by_rule["failed_login_burst"]] = ("resolved", "password reset")
    expected[by_rule["mass_download"]] = ("suppressed", "backup")
    # the suppression covers the rule and entity: the other mass download is another user's
    assert states() == expected
    new = {f["detection_id"] for f in planted.findings("--status", "new")}
    assert new == untouched
    planted.transform(full=True)
    assert states() == expected, "a full rebuild lost the triage"

    # a suppression that has run out leaves the finding new again
    finding = next(f for f in planted.findings() if f["detection_id"] == by_rule["mass_download"])
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    run_query(
        planted.pipeline(),
        "insert into detection_triage (detection_id, rule_id, entity, status, suppressed_until, changed_at) "
        f"values ('{finding['detection_id']}', 'mass_download', '{finding['entity']}', 'suppressed', "
        f"cast('{past}' as timestamptz), current_timestamp)",
        write=True,
    )
    assert {f["detection_id"] for f in planted.findings("--status", "new")} == untouched | {
        finding["detection_id"]
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ack", "0000000000"), "no finding has the id 0000000000"),
        (("ack", "ab"), "is not a detection id"),
        (("--status", "open"), "--status 'open': choose new, acknowledged, suppressed or resolved"),
        (("--severity", "urgent"), "--severity 'urgent': choose one of info, low, medium, high, critical"),
        (("suppress", "abcdef", "--until", "soon"), "cannot read --until 'soon'"),
    ],
)
def test_mistakes_are_one_line_each(planted, args, message):
    result = planted.cli("detections", *args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


def test_rules_lists_the_library(planted):
    result = planted.cli("detections", "rules", "--format", "json")
    assert result.exit_code == 0, result.output
    rules = [json.loads(line) for line in result.output.splitlines()]
    assert len(rules) >= 35
    assert {"mass_download", "password_spray", "catalog_disable_multi_factor_auth"} <= {
        r["rule_id"] for r in rules
    }


def test_status_shows_who_us_is_and_the_new_findings(planted):
    result = planted.cli("status")
    assert result.exit_code == 0, result.output
    assert "company domains: acme.example (configured)" in result.output
    assert "detections: " in result.output
