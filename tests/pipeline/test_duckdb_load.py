"""The DuckDB events load writes each row once, straight into the table, and still loads each event
once when a file's job runs twice (a load killed after its insert committed, resumed) or when one
event comes in two files of a load."""

from __future__ import annotations

from datetime import timedelta

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.box_events.duckdb_load import InsertNewRowsJob
from tests.conftest import MIDNIGHT, NOW, api_for

DAY = timedelta(days=1)


def test_a_file_loaded_twice_still_loads_each_event_once(warehouse, assert_exact, monkeypatch):
    loaded_twice: list[str] = []
    real_run = InsertNewRowsJob.run

    def run_twice(job: InsertNewRowsJob) -> None:
        real_run(job)
        if job.load_table_name == "admin_logs":  # what a resume after a kill between insert and "done" does
            real_run(job)
            loaded_twice.append(job.file_name())

    monkeypatch.setattr(InsertNewRowsJob, "run", run_twice)
    start, end = MIDNIGHT - 4 * DAY, MIDNIGHT
    with running_emulator(clock=ManualClock(NOW), events_per_day=400) as (emu, srv):
        pipeline = warehouse.pipeline()
        report = jobs.backfill(
            pipeline, start=start, end=end, api=api_for(srv, emu.config), windows_per_run=2, now=NOW
        )
        assert_exact(warehouse, emu.oracle.event_ids(start, end))
    assert len(loaded_twice) == report.runs >= 2, "every checkpoint's events file should be loaded twice"
    assert report.events_new == len(warehouse.event_ids())


def test_an_event_in_two_files_of_one_load_is_loaded_once(warehouse):
    """A file whose rows another file of the same load already inserted (the load not completed
    yet) replaces them, and a key twice in one file is inserted once: one row per event."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.box_events.duckdb_load import insert_new_rows_sql

    start, end = MIDNIGHT - DAY, MIDNIGHT
    with running_emulator(clock=ManualClock(NOW), events_per_day=200) as (emu, srv):
        pipeline = warehouse.pipeline()
        jobs.backfill(pipeline, start=start, end=end, api=api_for(srv, emu.config), now=NOW)
        expected = emu.oracle.event_ids(start, end)
    (loaded_file,) = warehouse.pipelines_dir.glob("*/load/loaded/*/completed_jobs/admin_logs.*.parquet")
    rows = pq.read_table(loaded_file)
    third = rows.num_rows // 3
    assert third >= 10, "too few events to split"
    first, second = rows.slice(0, 2 * third), rows.slice(third)  # a third of the events in both
    second = pa.concat_tables([second, second.slice(0, 10)])  # and 10 twice in the second
    with pipeline.sql_client() as client:
        # the load is not completed again, and its rows are gone: the two files load it anew
        client.execute_sql(f"DELETE FROM {client.make_qualified_table_name('admin_logs')}")
        client.execute_sql(f"DELETE FROM {client.make_qualified_table_name('_dlt_loads')}")
        for i, part in enumerate((first, second)):
            path = loaded_file.with_name(f"admin_logs.part{i}.0.parquet")
            pq.write_table(part, path)
            for statement in insert_new_rows_sql("admin_logs", ["event_id"], str(path), client):
                client.execute_sql(statement)
    loaded = warehouse.event_ids()
    assert len(loaded) == len(set(loaded)) == len(expected) and set(loaded) == expected


def test_the_events_never_pass_through_staging(warehouse):
    """dlt's merge copies every row into staging, then again into the table: here one job per file
    writes the table, and no merge job follows."""
    start, end = MIDNIGHT - 2 * DAY, MIDNIGHT
    with running_emulator(clock=ManualClock(NOW), events_per_day=50) as (emu, srv):
        jobs.backfill(warehouse.pipeline(), start=start, end=end, api=api_for(srv, emu.config), now=NOW)
    completed = list(warehouse.pipelines_dir.glob("*/load/loaded/*/completed_jobs/admin_logs.*"))
    assert completed and all(path.suffix == ".parquet" for path in completed), completed
    staged = warehouse.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'box_events_staging'"
    )
    assert staged == []
