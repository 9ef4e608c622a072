"""Benchmark: the whole dbt project on Apache Spark, compared row for row with DuckDB (issue 12).

The world is the transform tests' (`tests/conftest.py`'s `world`: seed 11, 700 events a day over
15 days, one planted incident of every kind), loaded twice by the real pipeline from the same
emulator seed: into DuckDB and transformed there (`build_world`), and into dlt's filesystem
destination as parquet (`DESTINATION__FILESYSTEM__TABLE_FORMAT=parquet`; Spark cannot fetch Delta's
jars here). Then `dbt build --full-refresh` runs on Spark (dbt-spark's `session` method, `local[2]`,
the `spark` target of `sql/profiles.yml`) over those files: every model, seed and data test; and
every model and the seed are read back from Spark and compared with DuckDB's, rows exact
(`tests/transforms/spark.py` normalises the types). It takes minutes, not the suite's seconds:
dbt-spark asks the metastore about every relation and Spark plans every statement, so a node costs
about a second whatever its size (the 87 models, the seed and 85 data tests: about 3 minutes, against
16 s on DuckDB); the suite's `tests/transforms/test_spark.py` builds a slice.

    .venv/bin/python -m bench --only spark           # the whole project (about 5 minutes in all)
    .venv/bin/python -m bench.spark_models --quick   # the suite's slice, 150 events a day

Prints the timings and the comparison; `python -m bench` writes `bench/results/spark_models.json`.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import time
from collections import Counter
from typing import Any

from bench import harness
from tests.transforms.spark import (
    LOAD_ID,
    SLICE,
    backfill_lake,
    build_on_spark,
    comparable,
    spark_table,
    stop_spark,
)
from tests.transforms.world import EVENTS_PER_DAY, SCENARIOS, World, build_world
from transforms.project import list_models, manifest

QUICK_EVENTS_PER_DAY = 150  # and only the suite's slice of the project (tests/transforms/spark.py)


def run(*, quick: bool = False) -> dict[str, Any]:
    root = harness.WORK / ("spark-quick" if quick else "spark")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    emulator = {
        "seed": 11,
        "events_per_day": QUICK_EVENTS_PER_DAY if quick else EVENTS_PER_DAY,
        "scenarios": SCENARIOS,
    }
    select = ["+" + name for name in SLICE] if quick else []

    started = time.perf_counter()
    (root / "duckdb").mkdir()
    world = build_world(root / "duckdb", **emulator)
    duckdb_s = time.perf_counter() - started
    started = time.perf_counter()
    lake = backfill_lake(root / "lake", **emulator)
    lake_s = time.perf_counter() - started
    if lake.events != world.events:
        raise RuntimeError(
            "the two backfills were served different events: the comparison would prove nothing"
        )
    print(
        f"{len(world.events):,} events; DuckDB world {duckdb_s:.0f} s, parquet lake {lake_s:.0f} s",
        flush=True,
    )

    started = time.perf_counter()
    try:
        runs = build_on_spark(lake, world, root / "spark", select=select)
        spark_s = time.perf_counter() - started
        print(f"dbt build on Spark: {spark_s:.0f} s, {len(runs)} models and seeds", flush=True)
        started = time.perf_counter()
        built = {run.name for run in runs}
        compared = [m.name for m in list_models() if m.name in built]
        differing = [name for name in compared if _differs(lake.pipeline.dataset_name, name, world)]
        compare_s = time.perf_counter() - started
    finally:
        stop_spark()
    same = len(compared) - len(differing)
    print(f"compared {len(compared)}: {same} identical, differing: {differing or 'none'}")

    slowest = sorted(runs, key=lambda run: run.seconds, reverse=True)[:5]
    return {
        "events": len(world.events),
        "events_per_day": emulator["events_per_day"],
        "selected": select or "everything",
        "models_built": sum(run.materialized != "seed" for run in runs),
        # the build raises on any failing one, so all of them passed
        "data_tests_passed": None if quick else _data_tests(),
        "by_materialization": dict(Counter(run.materialized for run in runs)),
        "compared": len(compared),
        "identical": same,
        "differing": differing,
        "spark_build_s": round(spark_s, 1),
        "spark_model_s_sum": round(sum(run.seconds for run in runs), 1),
        "slowest_models": [{"model": run.name, "seconds": round(run.seconds, 1)} for run in slowest],
        "compare_s": round(compare_s, 1),
        "duckdb_world_s": round(duckdb_s, 1),
        "duckdb_transform_s": round(world.reports[0].seconds, 1),
        "lake_backfill_s": round(lake_s, 1),
        "spark": _versions(),
    }


def _data_tests() -> int:
    return sum(node["resource_type"] == "test" for node in manifest()["nodes"].values())


def _differs(dataset: str, name: str, world: World) -> bool:
    on_spark = comparable(spark_table(dataset, name, without=LOAD_ID))
    on_duckdb = comparable(world.table(name, without=LOAD_ID))
    if on_spark == on_duckdb:
        return False
    columns, rows = on_spark
    print(f"{name}: Spark {len(rows)} rows {columns}; DuckDB {len(on_duckdb[1])} rows {on_duckdb[0]}")
    return True


def _versions() -> dict[str, str]:
    import dbt.adapters.spark.__version__ as dbt_spark
    import pyspark

    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return {
        "pyspark": pyspark.__version__,
        "dbt_spark": dbt_spark.version,
        "java": java,
        "master": "local[2]",
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the suite's slice at 150 events a day")
    args = parser.parse_args()
    result = run(quick=args.quick)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
