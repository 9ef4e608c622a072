"""The world the transform tests run in: the emulator, the real pipeline, and table snapshots.

Every fixture goes through the real chain: emulator (HTTP on 127.0.0.1) -> `pipelines.jobs`
(the dlt source) -> DuckDB or PostgreSQL -> `run_transforms`. What the emulator served is kept
(its oracle), so tests compare tables with the ground truth rather than with themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt

from box_emulator import SCENARIO_KINDS, PlantedIncident
from box_emulator.testing import running_emulator
from pipelines import jobs
from tests.conftest import NOW, api_for
from transforms import TransformReport, run_transforms

DAY = timedelta(days=1)
START = NOW - 16 * DAY
"""Fifteen full days: the emulator's floor puts every type of the mix into any ten, and the rules that
compare with a history (a new network after a week of logins, a token for an app never seen in two
weeks) have one."""
END = NOW - DAY
NEEDS_HISTORY = ("login_new_network", "token_for_new_app")
"""Planted last: their rules only speak once the warehouse holds a week or two of history."""
_ORDER = [k for k in SCENARIO_KINDS if k not in NEEDS_HISTORY] + list(NEEDS_HISTORY)
LAST_DAY = (END - START).days - 1
SCENARIOS = [
    (kind, (START + (LAST_DAY - (len(_ORDER) - 1 - i) // 2) * DAY).date()) for i, kind in enumerate(_ORDER)
]
"""One planted incident of every kind, two a day on the last days, the history-bound ones last."""

EVENTS_PER_DAY = 700
"""The shared world's volume (the `world` fixture in tests/conftest.py; its PostgreSQL and Spark twins)."""

JSON_COLUMNS = {"additional_details", "extra", "shield_alert_summary"}


@dataclass
class World:
    """A loaded and transformed warehouse, plus what the emulator says it should hold."""

    pipeline: dlt.Pipeline
    events: list[dict[str, Any]]
    counts: dict[str, int]
    planted: list[PlantedIncident]
    reports: list[TransformReport] = field(default_factory=list)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Run SQL with unqualified names resolved in the pipeline's dataset."""
        with self.pipeline.sql_client() as client:
            return list(client.execute_sql(sql) or [])

    def table(self, name: str, *, without: tuple[str, ...] = ()) -> Snapshot:
        return snapshot(self.pipeline, name, without=without)


Snapshot = tuple[tuple[str, ...], list[tuple[Any, ...]]]


def _normalize(column: str, value: Any) -> Any:
    """One representation per value, whatever the warehouse's driver returns."""
    if column in JSON_COLUMNS and isinstance(value, str):
        value = json.loads(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, datetime):
        return value.astimezone(NOW.tzinfo).isoformat()
    return value


def snapshot(pipeline: dlt.Pipeline, table: str, *, without: tuple[str, ...] = ()) -> Snapshot:
    """Column names and rows of a table, normalized and sorted: comparable across warehouses.
    Columns named in `without` are left out (e.g. `_dlt_load_id`, which differs per warehouse)."""
    with pipeline.sql_client() as client:
        qualified = client.make_qualified_table_name(table)
        with client.execute_query(f"select * from {qualified}") as cursor:
            columns = tuple(d[0] for d in cursor.description)
            rows = cursor.fetchall()
    keep = [i for i, column in enumerate(columns) if column not in without]
    normalized = [tuple(_normalize(columns[i], row[i]) for i in keep) for row in rows]
    return tuple(columns[i] for i in keep), sorted(normalized, key=repr)


def build_world(
    root: Path,
    *,
    destination: str = "duckdb",
    credentials: Any = None,
    start: datetime = START,
    end: datetime = END,
    **emulator: Any,
) -> World:
    """Backfill `[start, end)` from a fresh emulator into a fresh warehouse; transform it."""
    pipeline = jobs.make_pipeline(
        destination,
        duckdb_path=root / "warehouse.duckdb",
        pipelines_dir=root / "pipelines",
        credentials=credentials,
        pipeline_name=f"box_events_{root.name}",
    )
    with running_emulator(now=NOW, **emulator) as (emu, srv):
        jobs.backfill(pipeline, start=start, end=end, api=api_for(srv, emu.config), now=NOW)
        world = World(
            pipeline=pipeline,
            events=emu.oracle.events(start, end),
            counts=emu.oracle.counts_by_type(start, end),
            planted=emu.planted(start.date(), (end - DAY).date()),
        )
    world.reports.append(run_transforms(pipeline))
    return world


def planted_days() -> list[date]:
    return [day for _, day in SCENARIOS]
