"""A backfill killed with SIGKILL mid-run resumes from the ledger and ends exact."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from box_emulator import SystemClock
from box_emulator.testing import running_emulator

BOXEVENTS = str(Path(sys.executable).with_name("boxevents"))


def _env(srv, config, pipelines_dir: Path, duckdb_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SOURCES__BOX_EVENTS__API_BASE_URL": srv.api_base_url,
        "SOURCES__BOX_EVENTS__TOKEN_URL": srv.token_url,
        "SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN": config.developer_token,
        "DESTINATION__DUCKDB__CREDENTIALS": str(duckdb_path),
    }


def _loaded_packages(pipelines_dir: Path) -> int:
    return len(list(pipelines_dir.glob("*/load/loaded/*")))


def test_backfill_killed_mid_run_resumes_without_rereading_completed_windows(warehouse, assert_exact):
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now - timedelta(days=25)).replace(hour=0, minute=0, second=0)
    end = start + timedelta(days=20)
    args = [
        BOXEVENTS,
        "backfill",
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--no-transform",
        "--pipelines-dir",
        str(warehouse.pipelines_dir),
    ]
    with running_emulator(clock=SystemClock(), events_per_day=3000) as (emu, srv):
        env = _env(srv, emu.config, warehouse.pipelines_dir, warehouse.path)
        slow = subprocess.Popen(
            [*args, "--windows-per-run", "2", "--requests-per-minute", "900", "--concurrency", "2"],
            env=env,
            cwd=warehouse.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while _loaded_packages(warehouse.pipelines_dir) < 2 and time.monotonic() < deadline:
            assert slow.poll() is None, slow.stdout.read().decode()
            time.sleep(0.05)
        time.sleep(0.7)  # well inside the next run: mid-extract or mid-load
        slow.send_signal(signal.SIGKILL)
        slow.wait()
        committed_before = {row[:2] for row in warehouse.ledger()}
        assert 0 < len(committed_before) < 20, "the kill should land mid-backfill"

        resumed = subprocess.run(
            args, env=env, cwd=warehouse.root, capture_output=True, text=True, timeout=300
        )
        assert resumed.returncode == 0, resumed.stderr
        skipped = int(re.search(r"(\d+) already covered", resumed.stdout).group(1))
        assert skipped >= len(committed_before)
        assert_exact(warehouse, emu.oracle.event_ids(start, end))

    windows = [row[:2] for row in warehouse.ledger()]
    assert len(windows) == len(set(windows)) == 20, "a completed window was read twice"


def test_an_unfinishable_interrupted_package_is_dropped_and_its_windows_read_again(
    warehouse, assert_exact, caplog
):
    from box_emulator import ManualClock
    from pipelines import jobs
    from pipelines.box_events import box_events
    from tests.conftest import MIDNIGHT, NOW, api_for

    day = timedelta(days=1)
    with running_emulator(clock=ManualClock(NOW), events_per_day=500) as (emu, srv):
        api = api_for(srv, emu.config)
        pipeline = warehouse.pipeline()
        jobs.backfill(pipeline, start=MIDNIGHT - 4 * day, end=MIDNIGHT - 2 * day, api=api, now=NOW)
        # an interrupted run: extracted, never loaded, and its events file cut short mid-write
        pipeline.extract(
            box_events(
                start_date=MIDNIGHT - 2 * day,
                end_date=MIDNIGHT - day,
                credentials=api.credentials,
                api_base_url=api.api_base_url,
                token_url=api.token_url,
            )
        )
        extracted = list(
            warehouse.pipelines_dir.glob("*/normalize/extracted/*/new_jobs/admin_logs.*.parquet")
        )
        assert extracted
        for path in extracted:
            path.write_bytes(path.read_bytes()[:100])
        jobs.backfill(pipeline, start=MIDNIGHT - 4 * day, end=MIDNIGHT, api=api, now=NOW)
        assert_exact(warehouse, emu.oracle.event_ids(MIDNIGHT - 4 * day, MIDNIGHT))
    assert "dropping the interrupted run's load package" in caplog.text


def test_a_window_whose_load_failed_after_its_events_committed_is_read_again(
    warehouse, assert_exact, monkeypatch
):
    """The events of a package commit with their own job, and its ledger job can land too; if the
    package then fails and is aborted, its rows stay in the table under a load that never completed,
    and the window must not count as covered. Read again, each event ends up once, in a completed
    load (the dead copy replaced, not kept: readers of completed loads would never see it)."""
    from box_emulator import ManualClock
    from pipelines import jobs
    from pipelines.box_events import ledger
    from pipelines.box_events.duckdb_load import InsertNewRowsJob
    from tests.conftest import MIDNIGHT, NOW, api_for

    day = timedelta(days=1)
    real_run = InsertNewRowsJob.run

    def run_then_fail(job: InsertNewRowsJob) -> None:
        real_run(job)
        raise RuntimeError("the load failed after its events committed (injected by the test)")

    rows_by_load = (
        "SELECT t.event_id, l.status FROM box_events.admin_logs AS t "
        "LEFT JOIN box_events._dlt_loads AS l ON l.load_id = t._dlt_load_id"
    )
    with running_emulator(clock=ManualClock(NOW), events_per_day=500) as (emu, srv):
        api = api_for(srv, emu.config)
        pipeline = warehouse.pipeline()
        jobs.backfill(pipeline, start=MIDNIGHT - 3 * day, end=MIDNIGHT - 2 * day, api=api, now=NOW)
        monkeypatch.setattr(InsertNewRowsJob, "run", run_then_fail)
        with pytest.raises(Exception, match="failed after its events committed"):
            jobs.backfill(pipeline, start=MIDNIGHT - 2 * day, end=MIDNIGHT - day, api=api, now=NOW)
        failed_window = (MIDNIGHT - 2 * day, MIDNIGHT - day)
        pipeline.abort_packages()
        # the failed package's events are in the table, in a load that never completed
        dead = {event_id for event_id, status in warehouse.query(rows_by_load) if status is None}
        assert dead == emu.oracle.event_ids(*failed_window)
        assert ledger.covered(pipeline) == [jobs.Window(MIDNIGHT - 3 * day, MIDNIGHT - 2 * day)]

        monkeypatch.setattr(InsertNewRowsJob, "run", real_run)
        report = jobs.backfill(pipeline, start=MIDNIGHT - 3 * day, end=MIDNIGHT - day, api=api, now=NOW)
        assert (report.windows_skipped, report.windows_loaded) == (1, 1)
        assert report.events_new == len(dead)
        assert_exact(warehouse, emu.oracle.event_ids(MIDNIGHT - 3 * day, MIDNIGHT - day))
        assert {status for _, status in warehouse.query(rows_by_load)} == {0}
