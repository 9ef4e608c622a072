"""The DuckDB merge deduplicates staging on the key alone, and still loads each event once when a
load's copy into staging ran twice (a load killed after the copy committed, resumed)."""

from __future__ import annotations

from datetime import timedelta

from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from tests.conftest import MIDNIGHT, NOW, api_for

DAY = timedelta(days=1)


def test_a_staging_table_holding_a_file_twice_still_loads_each_event_once(
    warehouse, assert_exact, monkeypatch
):
    copied_twice: list[str] = []
    copy = DuckDbCopyJob.run

    def copy_twice(job: DuckDbCopyJob) -> None:
        copy(job)
        if job.load_table_name == "admin_logs":  # what a resume after a kill between copy and "done" does
            copy(job)
            copied_twice.append(job.file_name())

    monkeypatch.setattr(DuckDbCopyJob, "run", copy_twice)
    start, end = MIDNIGHT - 4 * DAY, MIDNIGHT
    with running_emulator(clock=ManualClock(NOW), events_per_day=400) as (emu, srv):
        pipeline = warehouse.pipeline()
        report = jobs.backfill(
            pipeline, start=start, end=end, api=api_for(srv, emu.config), windows_per_run=2, now=NOW
        )
        assert_exact(warehouse, emu.oracle.event_ids(start, end))
    assert len(copied_twice) == report.runs >= 2, "every checkpoint's events file should be copied twice"
    assert report.events_new == len(warehouse.event_ids())


def test_the_duckdb_merge_never_numbers_the_wide_staging_rows(warehouse):
    """dlt's own dedup (`ROW_NUMBER()` over every column of staging) spilled under the 256 MB cap and
    was most of the load time: the DuckDB warehouse must use the key-only dedup instead."""
    start, end = MIDNIGHT - 2 * DAY, MIDNIGHT
    with running_emulator(clock=ManualClock(NOW), events_per_day=50) as (emu, srv):
        jobs.backfill(warehouse.pipeline(), start=start, end=end, api=api_for(srv, emu.config), now=NOW)
    merges = list(warehouse.pipelines_dir.glob("*/load/loaded/*/completed_jobs/admin_logs.*.sql"))
    assert merges, "no merge job ran"
    for merge in merges:
        sql = merge.read_text()
        assert "ROW_NUMBER" not in sql.upper() and "rowid NOT IN" in sql
