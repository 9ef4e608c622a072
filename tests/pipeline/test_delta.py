"""The filesystem destination (a local folder standing in for S3/GCS/Azure): backfill and sync write
Delta tables, read back with `deltalake` and compared exactly with the emulator's oracle and with the
same run into DuckDB; a re-sync adds nothing, and the transaction log shows one version per load
that brought events. `table_format = parquet` writes plain parquet files instead; what cannot run on
files (the transforms) says so in one line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.dataset
import pytest
from deltalake import DeltaTable
from typer.testing import CliRunner

from box_emulator import ManualClock, SystemClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.box_events.settings import DATASET_NAME, EVENTS_TABLE, LEDGER_TABLE, RUNS_TABLE
from pipelines.cli import app
from tests.conftest import MIDNIGHT, NOW, api_for

DAY = timedelta(days=1)
LAG = timedelta(minutes=2)
FIELDS = ("event_id", "event_type", "created_at", "created_by_login", "source", "first_lane")


@dataclass
class Bucket:
    """A local bucket (`file://` URL, as dlt's config gives it) and a dlt working folder."""

    root: Path
    pipelines_dir: Path

    def pipeline(self, pipelines_dir: Path | None = None):
        return jobs.make_pipeline("filesystem", pipelines_dir=pipelines_dir or self.pipelines_dir)

    def folder(self, table: str) -> Path:
        return self.root / DATASET_NAME / table

    def delta(self, table: str) -> DeltaTable:
        return DeltaTable(str(self.folder(table)))

    def operations(self, table: str) -> list[str]:
        """The Delta transaction log's operations, oldest first."""
        return [entry["operation"] for entry in reversed(self.delta(table).history())]


@pytest.fixture
def bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    root = tmp_path / "bucket"
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", root.as_uri())
    monkeypatch.delenv("DESTINATION__FILESYSTEM__TABLE_FORMAT", raising=False)
    monkeypatch.setenv("BOXEVENTS_STATE_DIR", str(tmp_path / "state"))  # the CLI's lock
    return Bucket(root, tmp_path / "lake.pipelines")


def _rows(records: list[dict]) -> list[tuple]:
    """FIELDS of every row, duplicates kept, the JSON `source` parsed, timestamps in UTC."""
    return sorted(
        (
            r["event_id"],
            r["event_type"],
            r["created_at"].astimezone(UTC),
            r["created_by_login"],
            json.loads(r["source"]) if r["source"] is not None else None,
            r["first_lane"],
        )
        for r in records
    )


def _as_served(events: list[dict]) -> list[tuple]:
    return sorted(
        (
            e["event_id"],
            e["event_type"],
            datetime.fromisoformat(e["created_at"]).astimezone(UTC),
            e["created_by"]["login"],
            e.get("source"),
            "admin_logs",
        )
        for e in events
    )


def test_backfill_and_sync_into_delta_match_the_oracle_and_duckdb_and_a_resync_adds_nothing(
    bucket, warehouse
):
    start = MIDNIGHT - 3 * DAY
    with running_emulator(clock=ManualClock(NOW), events_per_day=1000) as (emu, srv):
        api = api_for(srv, emu.config)
        for pipeline in (bucket.pipeline(), warehouse.pipeline()):
            # a backfill (one checkpoint: oldest first, as newest first commits the newest day
            # alone), then a sync from its high-water mark up to NOW - LAG
            jobs.backfill(pipeline, start=start, end=MIDNIGHT, api=api, now=NOW, order="oldest-first")
            first = jobs.sync(pipeline, api=api, lag=LAG, now=NOW)
        served = emu.oracle.events(start, NOW - LAG, at=NOW)
        loaded = bucket.delta(EVENTS_TABLE).to_pyarrow_table().select(list(FIELDS)).to_pylist()
        ledger_version = bucket.delta(LEDGER_TABLE).version()
        # again, from a working folder that never saw this bucket (another machine, or one moved
        # aside): it learns the schema from the bucket, so it reads the ledger like any other run
        again = jobs.sync(bucket.pipeline(bucket.root.parent / "fresh.pipelines"), api=api, lag=LAG, now=NOW)

    assert len(served) > 1500
    assert _rows(loaded) == _as_served(served), "the Delta table differs from what Box served"
    in_duckdb = warehouse.query(f"SELECT {', '.join(FIELDS)} FROM box_events.admin_logs")
    assert _rows([dict(zip(FIELDS, row, strict=True)) for row in in_duckdb]) == _rows(loaded), (
        "the same run into DuckDB loaded other rows"
    )
    # one commit per load that brought events: the backfill's creates the table, the sync's merges;
    # the re-sync found nothing new (ids already there are dropped before the load): no version
    assert bucket.operations(EVENTS_TABLE) == ["WRITE", "MERGE"]
    after = bucket.delta(EVENTS_TABLE).to_pyarrow_table().select(list(FIELDS)).to_pylist()
    assert _rows(after) == _rows(loaded), "the re-sync changed the events"
    # it read its overlap from the ledger's high-water mark (not a first sync's whole day) and
    # recorded that reading: one ledger append, one run row
    assert again.windows_loaded >= 1 and again.range.start == first.range.end - timedelta(hours=3)
    assert bucket.delta(LEDGER_TABLE).version() == ledger_version + 1
    assert bucket.operations(RUNS_TABLE) == ["WRITE"] * 3
    status = jobs.status(bucket.pipeline(), now=NOW)
    assert status.total_rows == len(served) and status.gaps == []


def test_parquet_table_format_through_the_command_line_writes_plain_files(bucket, monkeypatch):
    """`boxevents backfill --destination filesystem` with DESTINATION__FILESYSTEM__TABLE_FORMAT=parquet:
    plain parquet files (no Delta log), each event once, the transforms skipped in one line; the
    same backfill again reads nothing."""
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = midnight - 6 * DAY, midnight - 4 * DAY  # settled: the real clock adds nothing late
    monkeypatch.setenv("DESTINATION__FILESYSTEM__TABLE_FORMAT", "parquet")
    with running_emulator(clock=SystemClock(), events_per_day=400) as (emu, srv):
        monkeypatch.setenv("SOURCES__BOX_EVENTS__API_BASE_URL", srv.api_base_url)
        monkeypatch.setenv("SOURCES__BOX_EVENTS__TOKEN_URL", srv.token_url)
        monkeypatch.setenv("SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN", emu.config.developer_token)
        args = [
            "backfill",
            "--destination",
            "filesystem",
            "--start",
            start.isoformat(),
            "--end",
            end.isoformat(),
        ]
        args += ["--pipelines-dir", str(bucket.pipelines_dir)]
        first = CliRunner().invoke(app, args)
        second = CliRunner().invoke(app, args)
        expected = emu.oracle.event_ids(start, end)

    assert first.exit_code == 0, first.output
    assert "backfill: 2 windows loaded" in first.output
    assert first.output.splitlines()[-1] == (
        "transform: skipped (a bucket has no SQL engine; Spark or DuckDB read its tables)"
    )
    assert second.exit_code == 0 and "0 windows loaded, 2 already covered" in second.output, second.output
    folder = bucket.folder(EVENTS_TABLE)
    assert not (folder / "_delta_log").exists()
    ids = pyarrow.dataset.dataset(str(folder), format="parquet").to_table(columns=["event_id"])
    loaded = ids["event_id"].to_pylist()
    assert len(loaded) == len(set(loaded)) and set(loaded) == expected and expected


def test_what_a_bucket_cannot_do_is_one_line(bucket, monkeypatch):
    """A bucket never loaded, the transforms (they need a SQL engine), the live lanes, another table
    format for a loaded dataset, an unknown one, no bucket at all: each answer is one line saying
    what to do."""

    def error_of(*args: str) -> str:
        result = CliRunner().invoke(app, [*args, "--destination", "filesystem"])
        assert result.exit_code == 2, result.output
        [line] = result.output.splitlines()
        return line

    url = bucket.root.as_uri()
    assert error_of("status") == (
        f"error: no dataset box_events in {url}: load one first (boxevents backfill --destination "
        "filesystem --start 30d), or set DESTINATION__FILESYSTEM__BUCKET_URL to the "
        "bucket you loaded"
    )
    with running_emulator(clock=ManualClock(NOW), events_per_day=50) as (emu, srv):
        jobs.backfill(
            bucket.pipeline(), start=MIDNIGHT - DAY, end=MIDNIGHT, api=api_for(srv, emu.config), now=NOW
        )
    assert error_of("transform") == (
        "error: boxevents transform needs a SQL warehouse (duckdb or postgres), not the filesystem "
        f"destination: the events are Delta tables in {url}/box_events/admin_logs, which Spark or "
        "DuckDB (delta_scan) can read (backfill and sync on a bucket skip the transforms by themselves)"
    )
    live = "on a bucket, run boxevents sync --destination filesystem on a schedule"
    assert error_of("stream").endswith(live) and error_of("watch").endswith(live)
    monkeypatch.setenv("DESTINATION__FILESYSTEM__TABLE_FORMAT", "parquet")
    elsewhere = ["--pipelines-dir", str(bucket.root.parent / "other.pipelines")]
    assert error_of("sync", "--no-transform", *elsewhere) == (
        "error: the dataset box_events holds admin_logs as delta, not parquet: set "
        "DESTINATION__FILESYSTEM__TABLE_FORMAT=delta, or load into another bucket or dataset"
    )
    monkeypatch.setenv("DESTINATION__FILESYSTEM__TABLE_FORMAT", "iceberg")
    assert error_of("sync", "--no-transform") == (
        "error: unknown table format 'iceberg' for the filesystem destination: set "
        "DESTINATION__FILESYSTEM__TABLE_FORMAT to delta or parquet"
    )
    monkeypatch.delenv("DESTINATION__FILESYSTEM__BUCKET_URL")
    assert error_of("sync", "--no-transform") == (
        "error: the filesystem destination needs a bucket: set DESTINATION__FILESYSTEM__BUCKET_URL "
        "(file:///path/to/folder, s3://bucket/path, gs://..., az://...) or bucket_url under "
        "[destination.filesystem] in .dlt/config.toml"
    )
