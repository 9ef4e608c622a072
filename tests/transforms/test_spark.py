"""The dbt models run for real on Apache Spark (issue 12): the product's backfill writes the events
into dlt's filesystem destination as parquet, dbt-spark's `session` method builds the seed, staging
and a mart on those files (`sql/profiles.yml`'s spark target: `local[2]`, Java 17 from Debian), and
every row equals DuckDB's from the same emulator seed. The whole project takes minutes on Spark, so
it is a benchmark (`python -m bench --only spark`, figures in the README); this is its slice."""

from __future__ import annotations

import pytest

from tests.transforms.spark import (
    LOAD_ID,
    SLICE,
    backfill_lake,
    build_on_spark,
    comparable,
    spark_table,
    stop_spark,
)
from tests.transforms.world import EVENTS_PER_DAY, SCENARIOS


@pytest.fixture(scope="module")
def spark_build(world, tmp_path_factory):
    root = tmp_path_factory.mktemp("spark")
    lake = backfill_lake(root / "lake", seed=11, events_per_day=EVENTS_PER_DAY, scenarios=SCENARIOS)
    try:
        # the models only, in a session without a metastore: the benchmark runs the data tests and Hive
        runs = build_on_spark(
            lake,
            world,
            root / "spark",
            select=["+" + n for n in SLICE],
            data_tests=False,
            catalog="in-memory",
        )
        yield lake, runs
    finally:
        stop_spark()


def test_spark_builds_staging_and_a_mart_with_the_same_rows_as_duckdb(world, spark_build):
    lake, runs = spark_build
    assert lake.events == world.events, "the parquet backfill was served other events"
    assert {run.name for run in runs} >= set(SLICE)
    for name in SLICE:
        columns, rows = comparable(spark_table(lake.pipeline.dataset_name, name, without=LOAD_ID))
        expected_columns, expected_rows = comparable(world.table(name, without=LOAD_ID))
        assert columns == expected_columns, name
        assert len(rows) == len(expected_rows) > 0, name
        for row, expected in zip(rows, expected_rows, strict=True):
            assert dict(zip(columns, row, strict=True)) == dict(zip(columns, expected, strict=True)), name
