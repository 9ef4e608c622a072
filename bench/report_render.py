"""Benchmark: `boxevents report` (`write_report`) over the transforms benchmark's 10M-event warehouse.

The goal (issue 12): the offline HTML report of the last 30 days takes at most 15 s over 10M raw
events, because every number is aggregated in the warehouse and only small row sets reach Python.
The warehouse is the one `bench/transforms_rebuild.py` builds and leaves in
`bench/.work/transforms/` (10M synthetic Box-shaped events over a year, transformed); when it is
not there, it is built here the same way first (minutes: the full transform alone is about
150 s) and the build time is reported. `--quick` uses its own 200,000-event warehouse under
`bench/.work/quick/report/`, built once and kept.

    .venv/bin/python -m bench --only report          # median of 3 over the 10M warehouse
    .venv/bin/python -m bench.report_render --runs 5

Each run is `write_report(pipeline, days=30, out=…)` as the command calls it: the status (the
ledger, the newest event, rows per type), the marts' queries and the page. One more run is split
into those three parts. Prints the median; `python -m bench` writes `bench/results/report_render.json`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import plotly.offline

from bench import harness
from bench.transforms_rebuild import NOW, _fresh_warehouse, append_synthetic
from pipelines import jobs
from pipelines.pictures.report import read_report, render, write_report
from pipelines.status import status
from transforms import run_transforms

GOAL_S = 15.0
DAYS = 30
FULL_EVENTS = 10_000_000
QUICK_EVENTS = 200_000
FULL_WORKDIR = harness.WORK / "transforms"
QUICK_WORKDIR = harness.QUICK_RESULTS / "report"


def _warehouse(workdir: Path, events: int) -> tuple[Any, float | None]:
    """The transformed warehouse in `workdir` (the transforms benchmark's layout), built when missing;
    the pipeline and the seconds a build took (None: it was there)."""
    path = workdir / "bench.duckdb"
    if path.exists() and _is_transformed(workdir):
        return _pipeline(workdir), None
    print(f"building a {events:,}-event warehouse in {workdir} (once)", flush=True)
    started = time.perf_counter()
    pipeline = _fresh_warehouse(workdir)
    # what transforms_rebuild.main does: a year of events, ending two days before NOW
    append_synthetic(path, run=0, first=0, count=events, start=NOW - timedelta(days=366),
                     span=timedelta(days=364), load_id="1000000000.000001")  # fmt: skip
    run_transforms(pipeline, full_rebuild=True)
    return pipeline, time.perf_counter() - started


def _pipeline(workdir: Path) -> Any:
    return jobs.make_pipeline(duckdb_path=workdir / "bench.duckdb", pipelines_dir=workdir / "pipelines")


def _is_transformed(workdir: Path) -> bool:
    import duckdb

    try:
        with duckdb.connect(str(workdir / "bench.duckdb"), read_only=True) as con:
            con.execute("select 1 from box_events.detection_findings limit 0")
    except duckdb.Error:
        return False
    return True


def _raw_events(pipeline: Any) -> int:
    with pipeline.sql_client() as client:
        ((n,),) = client.execute_sql("select count(*) from admin_logs")
    return int(n)


def run(*, quick: bool = False, runs: int = 3, workdir: Path | None = None) -> dict[str, Any]:
    workdir = workdir or (QUICK_WORKDIR if quick else FULL_WORKDIR)
    pipeline, built_s = _warehouse(workdir, QUICK_EVENTS if quick else FULL_EVENTS)
    out = harness.WORK / ("report-quick.html" if quick else "report.html")
    raw = _raw_events(pipeline)

    seconds = []
    for i in range(runs):
        started = time.perf_counter()
        write_report(pipeline, days=DAYS, out=out, now=NOW)
        seconds.append(time.perf_counter() - started)
        print(f"write_report {i + 1}/{runs}: {seconds[-1]:.2f} s", flush=True)

    started = time.perf_counter()  # one more, in parts
    status(pipeline, now=NOW)
    status_s = time.perf_counter() - started
    started = time.perf_counter()
    data = read_report(pipeline, days=DAYS, now=NOW)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    page = render(data)
    render_s = time.perf_counter() - started

    median = statistics.median(seconds)
    result = {
        "raw_events": raw,
        "days": DAYS,
        "now": NOW.isoformat(),
        "events_in_report": data.headline["events"],
        "findings_in_report": sum(int(n) for *_, n in data.findings),
        "runs": runs,
        "seconds": [round(s, 3) for s in seconds],
        "median_s": round(median, 3),
        "goal_s": GOAL_S,
        "met": median <= GOAL_S,
        "parts_s": {
            "status": round(status_s, 3),
            "status_and_queries": round(read_s, 3),
            "queries": round(read_s - status_s, 3),
            "render": round(render_s, 3),
        },
        "page_bytes": len(page.encode()),
        "plotly_js_bytes": len(plotly.offline.get_plotlyjs().encode()),
        "warehouse": str(workdir / "bench.duckdb"),
        "warehouse_built_s": round(built_s, 1) if built_s is not None else None,
        "command": "python -m bench --only report" + (" --quick" if quick else ""),
    }
    print(
        f"write_report over {raw:,} raw events ({result['events_in_report']:,} in the last {DAYS} days): "
        f"median {median:.2f} s of {runs} (goal ≤ {GOAL_S:.0f} s: {'met' if result['met'] else 'NOT met'}); "
        f"status {status_s:.2f} s, queries {read_s - status_s:.2f} s, page {render_s:.2f} s",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a 200,000-event warehouse")
    parser.add_argument("--workdir", type=Path, help="a transforms-benchmark work folder to read")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, runs=args.runs, workdir=args.workdir)
    path = harness.write_result("report_render", result, quick=args.quick)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
