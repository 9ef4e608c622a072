"""Apache Spark for the transform tests and the Spark benchmark: the product's backfill into dlt's
filesystem destination as parquet (Spark cannot fetch Delta's jars here), the dbt project built on
those files by dbt-spark's `session` method (pyspark in this process, Java from Debian; the `spark`
target of `sql/profiles.yml`), and its tables read back for an exact comparison with DuckDB's.

Spark returns its own types, so its values are normalised as `world.snapshot` normalises DuckDB's
(`spark_table`), and both sides' columns are put in name order (`comparable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import pytest

from box_emulator.testing import running_emulator
from pipelines import jobs
from tests.conftest import NOW, api_for
from tests.transforms.world import END, START, Snapshot, World, _normalize
from transforms.report import ModelRun
from transforms.runner import DbtTarget, invoke_dbt, transform_variables

LOAD_ID = ("_dlt_load_id",)
"""Which load wrote a row differs per warehouse; everything else must not."""
SLICE = ("box_event_types", "stg_box__events", "mart_daily_event_counts")
"""What the suite builds on Spark (with what they depend on): the catalog seed (text with quotes in
it), staging (JSON paths, e-mail domains, UTC days, the `_dlt_loads` filter) and a mart partitioned
by day. The whole project takes minutes (bench/spark_models.py)."""


def bucket_settings(bucket: Path) -> dict[str, str]:
    """dlt's settings for a parquet bucket, which `sql/profiles.yml`'s spark target reads too."""
    return {
        "DESTINATION__FILESYSTEM__BUCKET_URL": bucket.as_uri(),
        "DESTINATION__FILESYSTEM__TABLE_FORMAT": "parquet",
    }


@dataclass(frozen=True)
class Lake:
    """A bucket the product's backfill wrote as parquet, with what the emulator served."""

    bucket: Path
    pipeline: dlt.Pipeline
    events: list[dict[str, Any]]


def backfill_lake(root: Path, *, start: datetime = START, end: datetime = END, **emulator: Any) -> Lake:
    """`pipelines.jobs.backfill` of `[start, end)` from a fresh emulator (`emulator`: its config, as
    `world.build_world` takes it) into a bucket under `root`, as plain parquet."""
    bucket = root / "bucket"
    with pytest.MonkeyPatch.context() as settings:  # dlt reads them from the environment
        for name, value in bucket_settings(bucket).items():
            settings.setenv(name, value)
        pipeline = jobs.make_pipeline("filesystem", pipelines_dir=root / "pipelines")
        with running_emulator(now=NOW, **emulator) as (emu, srv):
            jobs.backfill(pipeline, start=start, end=end, api=api_for(srv, emu.config), now=NOW)
            return Lake(bucket, pipeline, emu.oracle.events(start, end))


def build_on_spark(
    lake: Lake,
    world: World,
    work: Path,
    *,
    select: Sequence[str] = (),
    data_tests: bool = True,
    catalog: str = "hive",
) -> list[ModelRun]:
    """`dbt build --full-refresh` on Spark over the lake's files: everything, or `select` (with the
    data tests whose models are all selected), with or without the data tests, with the variables the
    DuckDB world's own run had (the company's domains inferred from the same events). Spark's
    warehouse and metastore go under `work`; `catalog="in-memory"` keeps no metastore (quicker to
    start, the tables gone with the session). Raises TransformFailed like the runner."""
    target = DbtTarget(
        "spark",
        {
            **bucket_settings(lake.bucket),
            "BOXEVENTS_DBT_TARGET": "spark",
            "BOXEVENTS_DATASET": lake.pipeline.dataset_name,
            "BOXEVENTS_SPARK_DIR": str(work),
            "BOXEVENTS_SPARK_CATALOG": catalog,
        },
    )
    command = ["build", "--full-refresh"]
    if select:
        command += ["--select", *select, "--indirect-selection", "cautious"]
    if not data_tests:
        command += ["--exclude", "resource_type:test"]
    return invoke_dbt(lake.pipeline, target, command, transform_variables(world.pipeline, None))


def spark_table(dataset: str, name: str, *, without: tuple[str, ...] = ()) -> Snapshot:
    """A relation of the Spark session dbt built in, its values normalised as `world.snapshot`
    normalises DuckDB's (Arrow gives Spark's timestamps with their zone, JSON as text)."""
    from pyspark.sql import SparkSession

    table = SparkSession.builder.getOrCreate().table(f"{dataset}.{name}").toArrow()
    keep = [column for column in table.column_names if column not in without]
    rows = [tuple(_normalize(c, row[c]) for c in keep) for row in table.select(keep).to_pylist()]
    return tuple(keep), sorted(rows, key=repr)


def comparable(snapshot: Snapshot) -> Snapshot:
    """The snapshot with its columns in name order: Spark writes a partitioned table's partition
    column last (the day-local marts' `occurred_on`), DuckDB where the model selects it."""
    columns, rows = snapshot
    order = sorted(range(len(columns)), key=lambda i: columns[i])
    return tuple(columns[i] for i in order), sorted((tuple(row[i] for i in order) for row in rows), key=repr)


def stop_spark() -> None:
    """Stop the session dbt started and the JVM behind it (pyspark would keep that JVM for as long
    as this process lives); a later build starts afresh. pyspark has no public call for the JVM."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is not None:
        SparkSession.builder.getOrCreate().stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        gateway.proc.stdin.close()  # the JVM pyspark launched exits when its stdin closes
        gateway.proc.wait(timeout=60)
        SparkContext._gateway = None
        SparkContext._jvm = None
