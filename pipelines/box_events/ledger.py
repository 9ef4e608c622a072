"""Read the warehouse's own record of what is loaded: the window ledger and the run counters.

Resume, sync and `status` read facts from the destination (through dlt's SQL client, so it works on
any destination; on a bucket, `lake.sql_client` makes its Delta tables readable) instead of trusting
local state: what the ledger says is covered was committed in
the same load package as the events that cover it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from . import lake
from .settings import ADMIN_LOGS, EVENTS_TABLE, LEDGER_TABLE, LOADS_TABLE, RUNS_TABLE
from .windows import Window, gaps, merge_intervals

NOT_THERE_YET = (DatabaseUndefinedRelation, DestinationUndefinedEntity)
"""A table that does not exist yet: in a SQL warehouse, or as files in a bucket."""


def query(pipeline: dlt.Pipeline, sql_template: str, table: str) -> list[tuple[Any, ...]]:
    """Rows of `sql_template` with `{table}` (and `{loads}`, dlt's `_dlt_loads`) qualified; no rows if
    the table does not exist yet."""
    try:
        with lake.sql_client(pipeline, table) as client:
            sql = sql_template.format(
                table=client.make_qualified_table_name(table),
                loads=client.make_qualified_table_name(LOADS_TABLE),
            )
            with client.execute_query(sql) as cursor:
                return [tuple(row) for row in cursor.fetchall()]
    except NOT_THERE_YET:
        return []
    except Exception as exc:  # the dataset itself may not exist before the first load
        if "does not exist" in str(exc) or "Catalog Error" in str(exc):
            return []
        raise


def as_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


COMPLETED_LEDGER = (
    "SELECT l.window_start, l.window_end, l.event_types, l.completed_at, {lane} FROM {table} AS l "
    "JOIN {loads} AS d ON d.load_id = l._dlt_load_id WHERE d.status = 0"
)
"""Ledger rows whose load package completed. A ledger job can land before the merge of the same
package's events; if that merge then fails and the package is aborted, dlt never records the load in
`_dlt_loads`, so the window it names is not covered and will be read again."""


@dataclass(frozen=True)
class Reading:
    """One completed reading of a range by a lane (a ledger row whose load completed)."""

    window: Window
    event_types: str
    completed_at: datetime | None
    lane: str
    """Rows written before lanes existed were all admin_logs readings."""

    def settled(self, settle_age: timedelta) -> bool:
        """Read by admin_logs at least `settle_age` after the range ended: nothing more will come."""
        return (
            self.lane == ADMIN_LOGS
            and self.completed_at is not None
            and self.completed_at >= self.window.end + settle_age
        )


def readings(pipeline: dlt.Pipeline) -> list[Reading]:
    """Every completed reading the ledger holds (any lane, any filter)."""
    try:
        rows = query(pipeline, COMPLETED_LEDGER.replace("{lane}", "l.lane"), LEDGER_TABLE)
    except Exception as exc:  # a ledger from before lanes has no lane column until the next load
        if "lane" not in str(exc):
            raise
        rows = query(pipeline, COMPLETED_LEDGER.replace("{lane}", "NULL"), LEDGER_TABLE)
    return [
        Reading(
            Window(as_utc(start), as_utc(end)),
            str(types or ""),
            as_utc(done) if done is not None else None,
            str(lane or ADMIN_LOGS),
        )
        for start, end, types, done, lane in rows
    ]


def _applies(reading: Reading, event_types: Sequence[str] | None) -> bool:
    return event_types is None or reading.event_types in ("", ",".join(event_types))


def covered(
    pipeline: dlt.Pipeline, event_types: Sequence[str] = (), *, lane: str | None = ADMIN_LOGS
) -> list[Window]:
    """Merged ranges the ledger vouches for: see `covered_by`."""
    return covered_by(readings(pipeline), event_types, lane=lane)


def covered_by(
    all_readings: list[Reading], event_types: Sequence[str] | None = (), *, lane: str | None = ADMIN_LOGS
) -> list[Window]:
    """Merged ranges of the readings: windows read for all types, or for exactly this filter (None:
    whatever the filter), by `lane` (None: any lane). `readings` holds only completed loads."""
    return _merged(r for r in all_readings if _applies(r, event_types) and lane in (None, r.lane))


def _merged(chosen: Any) -> list[Window]:
    return merge_intervals((r.window.start, r.window.end) for r in chosen)


@dataclass(frozen=True)
class Settlement:
    """The ledger's ranges for one filter, split by whether more events may still arrive."""

    settled: list[Window]
    provisional: list[Window]
    """Read, but not yet by admin_logs `settle_age` after their end."""


def settlement_of(
    all_readings: list[Reading], event_types: Sequence[str], settle_age: timedelta
) -> Settlement:
    chosen = [r for r in all_readings if _applies(r, event_types)]
    settled = _merged(r for r in chosen if r.settled(settle_age))
    provisional = [hole for w in _merged(chosen) for hole in gaps(w.start, w.end, settled)]
    return Settlement(settled, provisional)


def event_ids_between(pipeline: dlt.Pipeline, start: datetime, end: datetime) -> set[str]:
    """The ids already loaded with `created_at` in `[start, end)`, by loads dlt recorded as complete.
    A merge can commit its rows and its package still be aborted (a later job of it failed): readers
    never see those rows, so a re-read must not skip them, or they would stay unseen for good; read
    again, they are merged into a load that completes."""
    try:
        with lake.sql_client(pipeline, EVENTS_TABLE) as client:
            table = client.make_qualified_table_name(EVENTS_TABLE)
            loads = client.make_qualified_table_name(LOADS_TABLE)
            sql = (
                f"SELECT event_id FROM {table} WHERE created_at >= %s AND created_at < %s "
                f"AND _dlt_load_id IN (SELECT load_id FROM {loads} WHERE status = 0)"
            )
            with client.execute_query(sql, start, end) as cursor:
                return {row[0] for row in cursor.fetchall()}
    except NOT_THERE_YET:
        return set()


@dataclass(frozen=True)
class LastRun:
    """One job (a `backfill` or `sync` call): its checkpoints' `sync_runs` rows summed."""

    kind: str
    job_id: str
    started_at: datetime
    finished_at: datetime
    checkpoints: int
    windows: int
    events: int
    requests: int
    retries: int
    throttled: int

    @property
    def duration(self) -> timedelta:
        return self.finished_at - self.started_at


RUN_KINDS = ("backfill", "sync")


def last_run(pipeline: dlt.Pipeline, kind: str | None = None) -> LastRun | None:
    """The newest job (of `kind`, one of RUN_KINDS, if given), counted from the runs whose load
    completed. Rows written before jobs had ids (job_id NULL) each count as a job of their own."""
    if kind is not None and kind not in RUN_KINDS:
        raise ValueError(f"kind must be one of {RUN_KINDS}")
    where = f"AND r.kind = '{kind}'" if kind else ""

    def newest_job(job_key: str) -> list[tuple[Any, ...]]:
        return query(
            pipeline,
            f"SELECT MIN(r.kind), {job_key}, MIN(r.started_at), MAX(r.finished_at), COUNT(*), "
            "SUM(r.windows), SUM(r.events), SUM(r.requests), SUM(r.retries), SUM(r.throttled) "
            "FROM {table} AS r JOIN {loads} AS d ON d.load_id = r._dlt_load_id "
            f"WHERE d.status = 0 {where} GROUP BY {job_key} ORDER BY MAX(r.finished_at) DESC LIMIT 1",
            RUNS_TABLE,
        )

    try:
        rows = newest_job("COALESCE(r.job_id, r.run_id)")
    except Exception as exc:
        # a warehouse last loaded before jobs had ids has no job_id column until the next load
        if "job_id" not in str(exc):
            raise
        rows = newest_job("r.run_id")
    if not rows:
        return None
    kind_, job_id, started, finished, *counts = rows[0]
    return LastRun(kind_, str(job_id), as_utc(started), as_utc(finished), *(int(c or 0) for c in counts))


def rows_per_type(pipeline: dlt.Pipeline) -> list[tuple[str, int]]:
    rows = query(
        pipeline,
        "SELECT event_type, COUNT(*) AS n FROM {table} GROUP BY event_type ORDER BY n DESC, event_type",
        EVENTS_TABLE,
    )
    return [(str(t), int(n)) for t, n in rows]


def newest_event(pipeline: dlt.Pipeline) -> datetime | None:
    rows = query(pipeline, "SELECT MAX(created_at) FROM {table}", EVENTS_TABLE)
    return as_utc(rows[0][0]) if rows and rows[0][0] is not None else None


def event_type_filters(all_readings: list[Reading]) -> list[str]:
    """The `--event-types` filters (comma lists) the ledger holds completed windows for, sorted;
    windows read for all types (filter "") are not listed."""
    return sorted({r.event_types for r in all_readings if r.event_types})


def api_sources(pipeline: dlt.Pipeline) -> set[str | None]:
    """The API base URLs the warehouse's completed runs read from (None: recorded before the column
    existed, or the column is absent)."""
    try:
        rows = query(
            pipeline,
            "SELECT DISTINCT r.api_base_url FROM {table} AS r "
            "JOIN {loads} AS d ON d.load_id = r._dlt_load_id WHERE d.status = 0",
            RUNS_TABLE,
        )
    except Exception as exc:  # the column is absent: a warehouse from before it existed
        if "api_base_url" not in str(exc):
            raise
        rows = [(None,)] if query(pipeline, "SELECT 1 FROM {table} LIMIT 1", RUNS_TABLE) else []
    return {row[0] for row in rows}


@dataclass(frozen=True)
class LaneCalls:
    """API calls of one lane: today (UTC) and this calendar month."""

    lane: str
    today: int
    month: int


def api_calls(pipeline: dlt.Pipeline, now: datetime) -> list[LaneCalls]:
    """Requests per lane from `sync_runs` (every job and stream poll writes its counters there)."""
    month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    sql = (
        "SELECT {lane}, SUM(CASE WHEN r.started_at >= '"
        + today.isoformat()
        + "' THEN r.requests ELSE 0 END), "
        "SUM(r.requests) FROM {table} AS r JOIN {loads} AS d ON d.load_id = r._dlt_load_id "
        "WHERE d.status = 0 AND r.started_at >= '" + month.isoformat() + "' GROUP BY 1 ORDER BY 1"
    )
    try:
        rows = query(pipeline, sql.replace("{lane}", f"COALESCE(r.lane, '{ADMIN_LOGS}')"), RUNS_TABLE)
    except Exception as exc:  # a warehouse from before lanes: every run read admin_logs
        if "lane" not in str(exc):
            raise
        rows = query(pipeline, sql.replace("{lane}", f"'{ADMIN_LOGS}'"), RUNS_TABLE)
    return [LaneCalls(str(lane), int(t or 0), int(m or 0)) for lane, t, m in rows]


@dataclass(frozen=True)
class LiveLaneCounts:
    """What the sweep found: events the live lane missed, and events that arrived late."""

    missed_by_live_lane: int
    late_arrivals: int


def sweep_counts(pipeline: dlt.Pipeline) -> LiveLaneCounts:
    try:
        rows = query(
            pipeline,
            "SELECT SUM(r.live_missed), SUM(r.late_events) FROM {table} AS r "
            "JOIN {loads} AS d ON d.load_id = r._dlt_load_id WHERE d.status = 0",
            RUNS_TABLE,
        )
    except Exception as exc:  # a warehouse from before the sweep
        if "live_missed" not in str(exc) and "late_events" not in str(exc):
            raise
        rows = []
    missed, late = rows[0] if rows else (0, 0)
    return LiveLaneCounts(int(missed or 0), int(late or 0))
