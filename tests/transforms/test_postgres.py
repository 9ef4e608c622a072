"""The whole chain on a real PostgreSQL: emulator -> dlt's postgres destination -> transforms,
yielding the same audit tables, marts and detections as DuckDB from the same emulator seed."""

from __future__ import annotations

import pytest

from pipelines.box_events.event_types import load_catalog
from tests.transforms.pg import throwaway_postgres
from tests.transforms.test_analyst_guide import EXAMPLES
from tests.transforms.world import EVENTS_PER_DAY, SCENARIOS, build_world
from transforms import run_transforms
from transforms.project import event_type_view, list_models

COMPARED = [m.name for m in list_models() if m.layer != "seeds"]
LOAD_ID = ("_dlt_load_id",)
"""Which load wrote a row differs per warehouse; everything else must not."""
PER_TYPE_VIEWS = [event_type_view(row.event_type) for row in load_catalog()]


@pytest.fixture(scope="module")
def postgres_world(tmp_path_factory):
    with throwaway_postgres() as dsn:
        yield build_world(
            tmp_path_factory.mktemp("postgres"),
            destination="postgres",
            credentials=dsn,
            seed=11,
            events_per_day=EVENTS_PER_DAY,
            scenarios=SCENARIOS,
        )


def test_postgres_builds_the_same_tables_as_duckdb(world, postgres_world):
    assert postgres_world.reports[0].dialect == "postgres"
    assert postgres_world.events == world.events
    for name in COMPARED:
        columns, rows = postgres_world.table(name, without=LOAD_ID)
        expected_columns, expected_rows = world.table(name, without=LOAD_ID)
        assert columns == expected_columns, name
        assert len(rows) == len(expected_rows), name
        for row, expected in zip(rows, expected_rows, strict=True):
            assert dict(zip(columns, row, strict=True)) == dict(zip(columns, expected, strict=True)), name


def test_postgres_per_event_type_views_count_like_duckdb(world, postgres_world):
    counts = " union all ".join(f"select '{v}', count(*) from {v}" for v in PER_TYPE_VIEWS)
    assert sorted(postgres_world.query(counts)) == sorted(world.query(counts))


def test_the_analyst_guide_examples_run_on_postgres(postgres_world):
    for sql in EXAMPLES:
        assert isinstance(postgres_world.query(sql), list)


def test_postgres_reruns_are_idempotent(postgres_world):
    before = postgres_world.table("detections")
    assert run_transforms(postgres_world.pipeline).mode == "noop"
    assert run_transforms(postgres_world.pipeline, full_rebuild=True).mode == "full"
    assert postgres_world.table("detections") == before
