"""Memory: the pipeline's peak RSS for a 1M-event and a 4M-event backfill (one run each).

Goal: under 1 GB at both and within 20% of each other, i.e. memory does not grow with the range.
The emulator (clean profile, its own process) serves 10 and 40 whole UTC days at 125,000 events a
weekday (weekends are lighter: about 100,000 a day on average); the pipeline runs with its default
concurrency and windows per run in a fresh process each, so each peak is that run's own.

The emulator keeps only 12 generated days (about 0.5 GB each): days are generated while the
pipeline reads them, which paces the pipeline but not its memory.

    .venv/bin/python -m bench.pipeline_memory [--quick]
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from bench import harness

DAYS = (10, 40)
EVENTS_PER_WEEKDAY = 125_000  # x (5 + 2 x 0.3) / 7 = about 100,000 a day on average


def run(*, quick: bool = False) -> dict[str, Any]:
    per_day = EVENTS_PER_WEEKDAY // 40 if quick else EVENTS_PER_WEEKDAY
    _, end = harness.whole_days(1)
    config = {"profile": "clean", "events_per_day": per_day, "cache_days": 12, "seed": 3}
    runs = []
    with harness.Emulator(**config) as emulator:
        for days in DAYS:
            start = end - timedelta(days=days)
            work = harness.fresh_dir("pipeline_memory")
            out = harness.backfill(emulator, start, end, work, requests_per_minute=10**7, concurrency=None)
            rows, distinct = harness.loaded_counts(out["duckdb_path"])
            assert rows == distinct == out["events_reported"], (rows, distinct, out["events_reported"])
            runs.append(
                {
                    "days": days,
                    "events": rows,
                    "peak_rss_mb": out["peak_rss_mb"],
                    "seconds": round(out["seconds"], 1),
                    "events_per_s": round(rows / out["seconds"]),
                    "dlt_runs": out["dlt_runs"],
                    "step_seconds": out["step_seconds"],
                    "step_peak_rss_mb": out["step_peak_rss_mb"],
                }
            )
            peak = f"peak RSS {out['peak_rss_mb']:,.0f} MB in {out['seconds']:.0f} s"
            print(f"  memory: {rows:,} events over {days} days: {peak}", flush=True)
    harness.fresh_dir("pipeline_memory")
    small, large = runs
    return {
        "events_per_weekday": per_day,
        "runs_each": 1,
        "concurrency": "default",
        "windows_per_run": "default",
        "small": small,
        "large": large,
        "peak_rss_ratio": round(large["peak_rss_mb"] / small["peak_rss_mb"], 3),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1/40 of the events per day (a smoke test)")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    path = harness.write_result("pipeline_memory", result, quick=args.quick)
    small, large = result["small"], result["large"]
    print(
        f"memory: peak RSS {small['peak_rss_mb']:,.0f} MB at {small['events']:,} events, "
        f"{large['peak_rss_mb']:,.0f} MB at {large['events']:,}: ratio {result['peak_rss_ratio']:.2f} "
        f"(goal < 1 GB at both, within 20%) -> {path}"
    )
    return result


if __name__ == "__main__":
    main()
