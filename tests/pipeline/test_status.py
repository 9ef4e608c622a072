"""`status` tells the truth: a job is all its checkpoints, every filter's coverage shows, the last job of
each kind shows, `--json` says the same as the text, and `--max-age` turns staleness or gaps into exit 1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
from typer.testing import CliRunner

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.cli import app
from pipelines.status import freshness_problems, status
from tests.conftest import MIDNIGHT, NOW, api_for

DAY = timedelta(days=1)
RUNS = "box_events.sync_runs"


def _where(warehouse) -> list[str]:
    return ["--duckdb-path", str(warehouse.path), "--pipelines-dir", str(warehouse.pipelines_dir)]


def _spans(windows) -> list[tuple[datetime, datetime]]:
    return [(w.start, w.end) for w in windows]


def test_last_backfill_is_the_whole_job_summed_over_its_checkpoints(warehouse):
    start, end = MIDNIGHT - 6 * DAY, MIDNIGHT
    with running_emulator(clock=ManualClock(NOW), events_per_day=400) as (emu, srv):
        api = api_for(srv, emu.config)
        # oldest first: six windows two at a time (newest first, the newest day commits alone)
        jobs.backfill(
            warehouse.pipeline(),
            start=start,
            end=end,
            api=api,
            windows_per_run=2,
            now=NOW,
            order="oldest-first",
        )
        expected = len(emu.oracle.event_ids(start, end))
        synced = jobs.sync(warehouse.pipeline(), api=api, lag=timedelta(minutes=2), now=NOW)
    runs = warehouse.query(f"SELECT job_id, requests, windows FROM {RUNS} WHERE kind = 'backfill'")
    assert len(runs) == 3 and len({job for job, _, _ in runs}) == 1, "3 checkpoints of one job"

    report = status(warehouse.pipeline(), now=NOW)
    backfill, sync = report.last_runs["backfill"], report.last_runs["sync"]
    assert backfill is not None and sync is not None
    assert (backfill.windows, backfill.events, backfill.checkpoints) == (6, expected, 3)
    assert backfill.requests == sum(requests for _, requests, _ in runs)
    assert backfill.job_id == runs[0][0]
    (first_started, last_finished), *_ = warehouse.query(
        f"SELECT MIN(started_at), MAX(finished_at) FROM {RUNS} WHERE kind = 'backfill'"
    )
    assert (backfill.started_at, backfill.finished_at) == (first_started, last_finished)
    assert (sync.windows, sync.events) == (synced.windows_loaded, synced.events)

    text = report.lines()
    assert (
        f"last backfill: 6 windows, {expected:,} events, {backfill.requests:,} requests, "
        f"{backfill.retries:,} retries, {backfill.throttled:,} answered 429 (3 checkpoints in"
    ) in "\n".join(text)
    assert any(line.startswith(f"last sync: {synced.windows_loaded} windows, ") for line in text)


def test_rows_without_a_job_id_count_each_as_a_job(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=200) as (emu, srv):
        jobs.backfill(
            warehouse.pipeline(),
            start=MIDNIGHT - 4 * DAY,
            end=MIDNIGHT,
            api=api_for(srv, emu.config),
            windows_per_run=2,
            now=NOW,
        )
    newest_checkpoint = warehouse.query(f"SELECT windows, events FROM {RUNS} ORDER BY finished_at DESC")[0]
    with duckdb.connect(str(warehouse.path)) as con:
        con.execute(f"UPDATE {RUNS} SET job_id = NULL")
    old = status(warehouse.pipeline(), now=NOW).last_runs["backfill"]
    assert old is not None and (old.windows, old.events, old.checkpoints) == (*newest_checkpoint, 1)

    with duckdb.connect(str(warehouse.path)) as con:  # a warehouse from before jobs had ids
        con.execute(f"ALTER TABLE {RUNS} DROP COLUMN job_id")
    older = status(warehouse.pipeline(), now=NOW).last_runs["backfill"]
    assert older is not None and (older.windows, older.events, older.checkpoints) == (*newest_checkpoint, 1)


def test_coverage_loaded_with_an_event_type_filter_shows_under_that_filter(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=400) as (emu, srv):
        api = api_for(srv, emu.config)
        jobs.backfill(warehouse.pipeline(), start=MIDNIGHT - 3 * DAY, end=MIDNIGHT - DAY, api=api, now=NOW)
        jobs.backfill(
            warehouse.pipeline(),
            start=MIDNIGHT - 8 * DAY,
            end=MIDNIGHT - 6 * DAY,
            event_types="LOGIN",
            api=api,
            now=NOW,
        )
    report = status(warehouse.pipeline(), now=NOW)
    all_types = (MIDNIGHT - 3 * DAY, MIDNIGHT - DAY)
    assert _spans(report.covered) == [all_types] and report.gaps == []
    # all-types coverage covers every filter too
    assert {k: _spans(v) for k, v in report.covered_by_filter.items()} == {
        "LOGIN": [(MIDNIGHT - 8 * DAY, MIDNIGHT - 6 * DAY), all_types]
    }
    text = report.lines()
    at = text.index("covered for LOGIN:")
    assert text[at + 1 : at + 3] == [
        "  2026-11-15 00:00:00 → 2026-11-17 00:00:00 UTC",
        "  2026-11-20 00:00:00 → 2026-11-22 00:00:00 UTC",
    ]


def test_text_counts_are_singular_for_one(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=400) as (emu, srv):
        jobs.backfill(
            warehouse.pipeline(),
            start=MIDNIGHT - DAY,
            end=MIDNIGHT,
            event_types="LOGIN",
            api=api_for(srv, emu.config),
            now=NOW,
        )
        expected = len(emu.oracle.event_ids(MIDNIGHT - DAY, MIDNIGHT, event_types=["LOGIN"]))
    text = "\n".join(status(warehouse.pipeline(), now=NOW).lines())
    assert f"events loaded: {expected:,} in 1 event type\n" in text
    assert f"last backfill: 1 window, {expected:,} events, " in text
    assert "(1 checkpoint in " in text and "0 retries" in text
    assert "last sync: none yet" in text


def test_status_json_says_what_the_text_says(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=400) as (emu, srv):
        api = api_for(srv, emu.config)
        jobs.backfill(warehouse.pipeline(), start=MIDNIGHT - 3 * DAY, end=MIDNIGHT, api=api, now=NOW)
        jobs.backfill(
            warehouse.pipeline(),
            start=MIDNIGHT - 6 * DAY,
            end=MIDNIGHT - 5 * DAY,
            event_types="FAILED_LOGIN,LOGIN",
            api=api,
            now=NOW,
        )
        expected = len(emu.oracle.event_ids(MIDNIGHT - 3 * DAY, MIDNIGHT)) + len(
            emu.oracle.event_ids(MIDNIGHT - 6 * DAY, MIDNIGHT - 5 * DAY, ["FAILED_LOGIN", "LOGIN"])
        )
    as_json = CliRunner().invoke(app, ["status", "--json", *_where(warehouse)])
    as_text = CliRunner().invoke(app, ["status", "--all", *_where(warehouse)], terminal_width=200)
    assert as_json.exit_code == 0 and as_text.exit_code == 0, as_json.output + as_text.output
    facts, text = json.loads(as_json.stdout), as_text.stdout

    assert facts["events_loaded"] == expected == sum(facts["rows_per_type"].values())
    assert f"events loaded: {expected:,} in {facts['event_types']} event types" in text
    assert facts["covered"] == [{"start": "2026-11-20T00:00:00+00:00", "end": "2026-11-23T00:00:00+00:00"}]
    assert facts["covered_to"] == "2026-11-23T00:00:00+00:00"
    assert list(facts["covered_by_filter"]) == ["FAILED_LOGIN,LOGIN"]
    assert len(facts["covered_by_filter"]["FAILED_LOGIN,LOGIN"]) == 2 and facts["gaps"] == []
    assert "covered for FAILED_LOGIN,LOGIN:\n  2026-11-17 00:00:00 → 2026-11-18 00:00:00 UTC\n" in text
    assert "  2026-11-20 00:00:00 → 2026-11-23 00:00:00 UTC" in text and "gaps: none" in text
    assert datetime.fromisoformat(facts["newest_event"]).tzinfo == UTC
    assert facts["newest_event_age_seconds"] > 0
    for name, count in facts["rows_per_type"].items():
        assert any(line.split() == [name, f"{count:,}"] for line in text.splitlines())
    backfill = facts["last_runs"]["backfill"]
    assert backfill["windows"] == 1 and backfill["checkpoints"] == 1, "the newest job is the filtered one"
    assert (
        f"last backfill: 1 window, {backfill['events']:,} events, {backfill['requests']:,} requests"
    ) in text
    assert (
        backfill["duration_seconds"]
        == (
            datetime.fromisoformat(backfill["finished_at"]) - datetime.fromisoformat(backfill["started_at"])
        ).total_seconds()
    )
    assert facts["last_runs"]["sync"] is None and "last sync: none yet" in text
    assert facts["warehouse"] == {
        "destination": "duckdb",
        "dataset": "box_events",
        "file": str(warehouse.path),
    }
    assert "fresh" not in facts and "problems" not in facts, "no verdict without --max-age"


def test_freshness_is_judged_by_the_end_of_the_all_types_coverage_and_its_gaps(warehouse):
    assert freshness_problems(status(warehouse.pipeline(), now=NOW), timedelta(days=1)) == [
        "stale: nothing is covered yet (run `boxevents backfill`)"
    ]
    with running_emulator(clock=ManualClock(NOW), events_per_day=200) as (emu, srv):
        api = api_for(srv, emu.config)
        jobs.backfill(warehouse.pipeline(), start=MIDNIGHT - 2 * DAY, end=MIDNIGHT, api=api, now=NOW)
        report = status(warehouse.pipeline(), now=NOW)  # covered to midnight, 12 hours before NOW
        assert freshness_problems(report, timedelta(hours=13)) == []
        assert freshness_problems(report, timedelta(minutes=30)) == [
            "stale: the warehouse is covered to 2026-11-23 00:00:00 UTC (12h00m ago, more than 30m)"
        ]
        assert report.as_dict(max_age=timedelta(hours=13))["fresh"] is True
        jobs.backfill(  # filtered coverage neither makes the warehouse fresh nor fills a gap
            warehouse.pipeline(), start=MIDNIGHT, end=NOW, event_types="LOGIN", api=api, now=NOW
        )
        jobs.backfill(
            warehouse.pipeline(), start=MIDNIGHT - 9 * DAY, end=MIDNIGHT - 8 * DAY, api=api, now=NOW
        )
    report = status(warehouse.pipeline(), now=NOW)
    problems = ["gaps: 1 range is not covered"]
    assert freshness_problems(report, timedelta(hours=13)) == problems
    assert {k: report.as_dict(max_age=timedelta(hours=13))[k] for k in ("fresh", "problems")} == {
        "fresh": False,
        "problems": problems,
    }


def test_cli_max_age_exits_1_when_stale_or_gapped_and_0_when_fresh(warehouse):
    now = datetime.now(UTC).replace(microsecond=0)
    hour = timedelta(hours=1)
    with running_emulator(clock=ManualClock(now), events_per_day=400) as (emu, srv):
        api = api_for(srv, emu.config)
        jobs.backfill(warehouse.pipeline(), start=now - 5 * hour, end=now - 2 * hour, api=api, now=now)

        def run(*args: str):
            return CliRunner().invoke(app, ["status", *args, *_where(warehouse)], terminal_width=200)

        fresh, stale = run("--max-age", "3h"), run("--max-age", "30m")
        assert fresh.exit_code == 0 and fresh.stderr == "", fresh.output
        assert stale.exit_code == 1 and "events loaded: " in stale.stdout, "the report still prints"
        assert stale.stderr.startswith(
            f"stale: the warehouse is covered to {now - 2 * hour:%Y-%m-%d %H:%M:%S} UTC ("
        )
        assert stale.stderr.endswith(" ago, more than 30m)\n") and stale.stderr.count("\n") == 1
        verdict = json.loads(run("--json", "--max-age", "30m").stdout)
        assert verdict["fresh"] is False and verdict["problems"] == [stale.stderr.strip()]
        assert verdict["max_age_seconds"] == 1800

        jobs.backfill(warehouse.pipeline(), start=now - 9 * hour, end=now - 7 * hour, api=api, now=now)
        gapped = run("--json", "--max-age", "3h")
        assert gapped.exit_code == 1 and gapped.stderr == "gaps: 1 range is not covered\n"
        assert json.loads(gapped.stdout)["problems"] == ["gaps: 1 range is not covered"]
        bad = run("--max-age", "soon")
        assert bad.exit_code == 2 and bad.stderr.startswith("error: cannot read duration 'soon'")


def test_check_exits_0_fresh_1_stale_2_on_error_and_writes_a_prometheus_file(warehouse, tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    with running_emulator(clock=ManualClock(NOW), events_per_day=300) as (emu, srv):
        jobs.backfill(
            warehouse.pipeline(), start=MIDNIGHT - 2 * DAY, end=NOW, api=api_for(srv, emu.config), now=NOW
        )
    prom = tmp_path / "metrics" / "box_audit.prom"
    age = datetime.now(UTC) - NOW  # the emulator's clock is fixed; the check reads the real time
    fresh = CliRunner().invoke(
        app,
        [
            "check",
            "--max-age",
            f"{int(age.total_seconds()) + 3600}s",
            "--prometheus",
            str(prom),
            *_where(warehouse),
        ],
    )
    assert fresh.exit_code == 0 and fresh.stdout.startswith("ok: covered to 2026-11-23T12:00:00+00:00")
    metrics = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(prom.read_text())
        for sample in family.samples
    }
    assert metrics[("box_audit_fresh", ())] == 1
    assert metrics[("box_audit_covered_to_timestamp_seconds", ())] == NOW.timestamp()
    assert metrics[("box_audit_events_loaded", ())] == len(warehouse.event_ids())
    assert metrics[("box_audit_gaps", ())] == 0
    assert metrics[("box_audit_api_calls_month", (("lane", "admin_logs"),))] > 0

    stale = CliRunner().invoke(
        app, ["check", "--max-age", "30m", "--prometheus", str(prom), *_where(warehouse)]
    )
    assert stale.exit_code == 1 and stale.stdout.startswith("stale: the warehouse is covered to 2026-11-23")
    assert "box_audit_fresh 0" in prom.read_text()

    missing = CliRunner().invoke(
        app, ["check", "--max-age", "30m", "--duckdb-path", str(tmp_path / "none.duckdb")]
    )
    assert missing.exit_code == 2 and "no warehouse at" in missing.output
