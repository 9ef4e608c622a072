"""The tables the lanes load, and the one thin dlt resource that carries them.

A lane (admin_logs windows, the admin_logs_streaming position, a user stream) produces plain
`(table, item)` pairs: Arrow batches of events, then the bookkeeping row that vouches for them (a
window's ledger row, a stream's new position), then the run's counters. One resource yields them in
that order, each marked for its table, so the bookkeeping always lands in the same load package as
the data it describes: the warehouse can never say "covered" or "read up to here" without the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TTableSchemaColumns, TWriteDispositionConfig
from dlt.extract.hints import TResourceHints
from dlt.sources import DltResource

from .arrow_pages import EVENTS_COLUMNS, UTC_TIMESTAMP, with_constants
from .settings import EVENTS_TABLE, LEDGER_TABLE, POSITIONS_TABLE, RUNS_TABLE, USER_EVENTS_TABLE

Item = tuple[str, Any]
"""(table name, an Arrow table or a row dict)."""

LANE_COLUMNS: TTableSchemaColumns = {
    "first_lane": {"data_type": "text"},
    "first_seen_at": {"data_type": "timestamp", "timezone": True},
}
"""Which lane first delivered an event and when it was read: a lane drops the events the warehouse
already has, so these keep their first values and the live lane's lateness and misses are measurable."""

LEDGER_COLUMNS: TTableSchemaColumns = {
    "window_start": {"data_type": "timestamp", "timezone": True, "nullable": False},
    "window_end": {"data_type": "timestamp", "timezone": True, "nullable": False},
    "event_types": {"data_type": "text", "nullable": False},
    "events_read": {"data_type": "bigint"},
    "events_new": {"data_type": "bigint"},
    "pages": {"data_type": "bigint"},
    "lane": {"data_type": "text"},
    "kind": {"data_type": "text"},
    "run_id": {"data_type": "text"},
    "completed_at": {"data_type": "timestamp", "timezone": True},
}
RUNS_COLUMNS: TTableSchemaColumns = {
    "run_id": {"data_type": "text", "nullable": False},
    "job_id": {"data_type": "text"},
    "lane": {"data_type": "text"},
    "kind": {"data_type": "text"},
    "started_at": {"data_type": "timestamp", "timezone": True},
    "finished_at": {"data_type": "timestamp", "timezone": True},
    "windows": {"data_type": "bigint"},
    "events": {"data_type": "bigint"},
    "events_new": {"data_type": "bigint"},
    "late_events": {"data_type": "bigint"},
    "live_missed": {"data_type": "bigint"},
    "requests": {"data_type": "bigint"},
    "retries": {"data_type": "bigint"},
    "throttled": {"data_type": "bigint"},
    "api_base_url": {"data_type": "text"},
}
POSITIONS_COLUMNS: TTableSchemaColumns = {
    "lane": {"data_type": "text", "nullable": False},
    "stream_key": {"data_type": "text", "nullable": False},
    "position": {"data_type": "text", "nullable": False},
    "read_at": {"data_type": "timestamp", "timezone": True, "nullable": False},
    "started_at": {"data_type": "timestamp", "timezone": True},
    "covered_to": {"data_type": "timestamp", "timezone": True},
    "events": {"data_type": "bigint"},
    "run_id": {"data_type": "text"},
}
"""A stream's position, exact text, appended in the load that carries the events read up to it."""
USER_EVENTS_COLUMNS: TTableSchemaColumns = {
    **EVENTS_COLUMNS,
    **LANE_COLUMNS,
    "stream_user_id": {"data_type": "text"},
    "stream_type": {"data_type": "text"},
}

EVENTS_MERGE: dict[str | None, TWriteDispositionConfig] = {
    # the merge deduplicates staging even though each load stages an event_id once: a load killed
    # after its copy into staging committed but before dlt marked the job done copies the same file
    # again on resume, so staging can hold every row twice, and only the merge's dedup keeps that
    # from doubling the events (on DuckDB a dedup on the key alone: see `duckdb_load`)
    None: {"disposition": "merge", "strategy": "delete-insert"},
    # Delta tables take no delete-insert; `upsert` keeps its meaning: the newest load's copy of an
    # event replaces the stored one, so a re-read of a window whose earlier load never completed
    # moves its events into a completed load (`insert-only` would leave them in the dead one, where
    # readers of completed loads never see them). A resumed job merges the same rows again: no double
    "delta": {"disposition": "merge", "strategy": "upsert"},
    # plain files have no merge: the lanes drop the ids already loaded before a row is written, a
    # resumed job rewrites the same file names, and a reader keeps the rows of completed loads
    "parquet": "append",
}
"""How the events tables are written, per table format (None: a SQL destination's own tables)."""


def _table_hints(table_format: str | None) -> dict[str, TResourceHints]:
    """Every table's hints for one table format (see `settings.DEFAULT_TABLE_FORMAT`). The primary
    keys stay on appended tables too: they name what a row is, for the readers."""
    opened: dict[str, Any] = {"table_format": "delta"} if table_format == "delta" else {}
    merge = EVENTS_MERGE[table_format]
    return {
        EVENTS_TABLE: dlt.mark.make_hints(
            table_name=EVENTS_TABLE,
            write_disposition=merge,
            primary_key="event_id",
            columns={**EVENTS_COLUMNS, **LANE_COLUMNS},
            **opened,
        ),
        USER_EVENTS_TABLE: dlt.mark.make_hints(
            table_name=USER_EVENTS_TABLE,
            write_disposition=merge,
            primary_key=("event_id", "stream_user_id", "stream_type"),
            columns=USER_EVENTS_COLUMNS,
            **opened,
        ),
        **{
            table: dlt.mark.make_hints(
                table_name=table, write_disposition="append", columns=columns, **opened
            )
            for table, columns in (
                (LEDGER_TABLE, LEDGER_COLUMNS),
                (RUNS_TABLE, RUNS_COLUMNS),
                (POSITIONS_TABLE, POSITIONS_COLUMNS),
            )
        },
    }


TABLE_HINTS = {table_format: _table_hints(table_format) for table_format in EVENTS_MERGE}
"""Per table format, then per table: computed once, looked up for the first item of each table."""


def stamp(events: pa.Table, lane: str, seen_at: datetime) -> pa.Table:
    """The lane columns for rows this read delivers first."""
    return with_constants(
        events,
        {"first_lane": pa.scalar(lane, pa.string()), "first_seen_at": pa.scalar(seen_at, UTC_TIMESTAMP)},
    )


@dlt.source(name="box_events", max_table_nesting=0)
def lane_load(items: Iterable[Item], table_format: str | None = None) -> DltResource:
    """One load of a lane: the items a job prepared, in their order (see the module docstring).
    `table_format` is the filesystem destination's (`lake.table_format_of`; None on SQL)."""
    return lane_rows(items, table_format)


@dlt.resource(name=EVENTS_TABLE)
def lane_rows(items: Iterable[Item], table_format: str | None = None) -> Iterator[Any]:
    route = TableRouter(TABLE_HINTS[table_format])
    for table, item in items:
        yield route(table, item)


class TableRouter:
    """Mark items for their table: the first item of a table carries its hints (a table variant),
    later ones only the table name, so dlt does not recompute the schema for every batch."""

    def __init__(self, hints: dict[str, TResourceHints]) -> None:
        self._hints = hints
        self._hinted: set[str] = set()

    def __call__(self, table: str, item: Any) -> Any:
        if table in self._hinted:
            return dlt.mark.with_table_name(item, table)
        self._hinted.add(table)
        return dlt.mark.with_hints(item, self._hints[table], create_table_variant=True)
