"""Newest first: how soon a year's backfill makes the last 24 hours queryable, under the API-bound profile.

The emulator (its own process) as in `pipeline_api_bound`: 200-400 ms a page, Box's 1,000 requests a
minute; 34,000 events a weekday (weekends about 30%: 27,000 a day on average, about 10M a year). A
child process runs what `boxevents backfill --start 365d` runs, at the command line's defaults (the
client's limit, concurrency): `jobs.backfill` newest first, with the command line's callback that
builds the audit tables (`run_transforms`) right after the first checkpoint. Measured from the
start: when the first checkpoint commits, and when the transforms over it are done and
`stg_box__events` holds exactly the oracle's events of the last 24 hours (queryable). The backfill
then loads on for `--run-for` seconds, to measure the request rate, and is stopped by SIGTERM (the
job stops cleanly, every committed checkpoint stays). The whole year is not needed.

Oldest first, the same day is read last: its figure is estimated, not run (21 minutes) - the year's
requests at the measured rate, plus the transforms' full build over 10M events from
`bench/results/transforms.json` (the command line builds once the load is done).

    .venv/bin/python -m bench.backfill_newest_first [--events-per-day 34000] [--run-for 120]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import harness
from box_emulator.generator import WEEKEND_FACTOR

BOX_LIMIT_PER_MINUTE = 1000
PAGE_LIMIT = 500
GOAL_S = 60.0
YEAR_DAYS = 365
ARRIVAL_DELAY = timedelta(hours=2)
"""The emulator's longest arrival delay: the range ends this long ago, so the oracle's count of the
last 24 hours is final while the backfill reads them."""


def run(
    *, quick: bool = False, days: int | None = None, events_per_day: int | None = None, run_for_s: float = 120
) -> dict[str, Any]:
    """Quick: 4 days of 2,000 events loaded to the end (no stop), a smoke run of the same path."""
    days = days or (4 if quick else YEAR_DAYS)
    events_per_day = events_per_day or (2_000 if quick else 34_000)
    end = (datetime.now(UTC) - ARRIVAL_DELAY).replace(second=0, microsecond=0)
    start = end - timedelta(days=days)
    last_day = end - timedelta(days=1)
    config = {
        "profile": "clean",
        "events_per_day": events_per_day,
        "latency_ms": (200, 400),
        "rate_limit_per_minute": BOX_LIMIT_PER_MINUTE,
        "seed": 11,
    }
    with harness.Emulator(**config) as emulator:
        last_day_events = emulator.oracle(last_day, end)["count"]  # also generates those days
        child = harness.run_child(
            "bench.backfill_newest_first:_backfill_until_stopped",
            api_base_url=emulator.api_base_url,
            token_url=emulator.token_url,
            token=emulator.token,
            start=start.isoformat(),
            end=end.isoformat(),
            last_day_start=last_day.isoformat(),
            workdir=str(harness.fresh_dir("backfill_newest_first")),
            stop_after_s=None if quick else run_for_s,
        )
    harness.fresh_dir("backfill_newest_first")
    queryable_s = child["transformed_s"]
    exact = child["last_day_rows"] == last_day_events
    year_events = events_per_day * (5 + 2 * WEEKEND_FACTOR) / 7 * YEAR_DAYS
    return {
        "days": days,
        "events_per_weekday": events_per_day,
        "latency_ms": list(config["latency_ms"]),
        "rate_limit_per_minute": BOX_LIMIT_PER_MINUTE,
        "last_day_events": last_day_events,
        "last_day_rows": child["last_day_rows"],
        "last_day_exact": exact,
        "first_checkpoint": child["first_checkpoint"],
        "first_checkpoint_committed_s": round(child["committed_s"], 1),
        "first_transforms_s": round(child["transforms_s"], 1),
        "first_transforms_mode": child["transforms_mode"],
        "queryable_s": round(queryable_s, 1),
        "goal_s": GOAL_S,
        "met": exact and queryable_s <= GOAL_S,
        "ran_s": round(child["seconds"], 1),
        "stopped_by_sigterm": child["stopped"],
        "committed": child["committed"],
        "requests_per_minute_after_transforms": round(child["requests_per_minute"], 1),
        "oldest_first_estimate": oldest_first_estimate(year_events, child["requests_per_minute"]),
        "peak_rss_mb": child["peak_rss_mb"],
    }


def oldest_first_estimate(year_events: float, requests_per_minute: float) -> dict[str, Any]:
    """Oldest first, the last 24 h are the last windows read: the year's requests (one per 500
    events plus a terminal page per one-day window) at the measured rate, then the build at the end
    (the transforms benchmark's full build over 10M events, when it has been run)."""
    requests = math.ceil(year_events / PAGE_LIMIT) + YEAR_DAYS
    transforms = harness.RESULTS / "transforms.json"
    build_s = json.loads(transforms.read_text())["full_rebuild_median_s"] if transforms.exists() else None
    estimate: dict[str, Any] = {
        "year_events": round(year_events),
        "requests": requests,
        "transforms_full_build_s": round(build_s, 1) if build_s is not None else None,
        "load_minutes": None,  # no rate measured (a quick run loads to the end before it could be)
        "queryable_minutes": None,
    }
    if requests_per_minute:
        load_s = requests / requests_per_minute * 60
        estimate["load_minutes"] = round(load_s / 60, 1)
        estimate["queryable_minutes"] = round((load_s + (build_s or 0)) / 60, 1)
    return estimate


def _backfill_until_stopped(
    *,
    api_base_url: str,
    token_url: str,
    token: str,
    start: str,
    end: str,
    last_day_start: str,
    workdir: str,
    stop_after_s: float | None,
) -> dict[str, Any]:
    """The child: the backfill with the transforms after its first checkpoint (as the command line
    runs them), the moments that matter, the request rate after those transforms, and a SIGTERM
    `stop_after_s` after the start (None: load to the end)."""
    from pipelines import jobs
    from pipelines.box_events import stopping
    from transforms import run_transforms

    sent: list[float] = []
    original_send = httpx.Client.send

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if request.url.path.endswith("/events"):
            sent.append(time.perf_counter())
        return original_send(self, request, **kwargs)

    httpx.Client.send = send  # type: ignore[method-assign]
    stopping.install()
    pipeline = jobs.make_pipeline(
        duckdb_path=Path(workdir) / "warehouse.duckdb", pipelines_dir=Path(workdir) / "dlt"
    )
    marks: dict[str, Any] = {}
    started = time.perf_counter()

    def after_first_checkpoint(report: jobs.JobReport) -> None:
        marks["committed_s"] = time.perf_counter() - started
        marks["first_checkpoint"] = {"windows": report.windows_loaded, "events": report.events}
        transformed = run_transforms(pipeline)
        marks["transformed_s"] = time.perf_counter() - started
        marks["transforms_s"], marks["transforms_mode"] = transformed.seconds, transformed.mode
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name("stg_box__events")
            sql = f"select count(*) from {table} where occurred_at >= ? and occurred_at < ?"
            bounds = (datetime.fromisoformat(last_day_start), datetime.fromisoformat(end))
            marks["last_day_rows"] = client.execute_sql(sql, *bounds)[0][0]

    if stop_after_s is not None:
        stop = threading.Timer(stop_after_s, os.kill, args=(os.getpid(), signal.SIGTERM))
        stop.daemon = True
        stop.start()
    api = jobs.ApiOptions(
        api_base_url=api_base_url, token_url=token_url, credentials={"developer_token": token}
    )
    try:
        report = jobs.backfill(
            pipeline, start=start, end=end, api=api, after_first_checkpoint=after_first_checkpoint
        )
        stopped = False
    except jobs.JobInterrupted as interrupted:
        report, stopped = interrupted.report, True
    seconds = time.perf_counter() - started
    after = [at for at in sent if at - started >= marks["transformed_s"]]
    span = after[-1] - after[0] if len(after) > 1 else 0.0
    return {
        **marks,
        "seconds": seconds,
        "stopped": stopped,
        "committed": {"windows": report.windows_loaded, "events": report.events, "checkpoints": report.runs},
        "requests_per_minute": (len(after) - 1) / span * 60 if span else 0.0,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 days of 2,000 events, loaded to the end")
    parser.add_argument("--days", type=int, help="days to backfill (default 365)")
    parser.add_argument("--events-per-day", type=int, help="the emulator's events a weekday (default 34,000)")
    parser.add_argument("--run-for", type=float, default=120, help="seconds before the SIGTERM (default 120)")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, days=args.days, events_per_day=args.events_per_day, run_for_s=args.run_for)
    path = harness.write_result("backfill_newest_first", result, quick=args.quick)
    estimate = result["oldest_first_estimate"]
    print(
        f"newest first: the last 24 h ({result['last_day_events']:,} events) queryable after "
        f"{result['queryable_s']} s (goal <= {GOAL_S:.0f} s; first checkpoint committed after "
        f"{result['first_checkpoint_committed_s']} s, transforms {result['first_transforms_s']} s), "
        f"exact: {result['last_day_exact']}; oldest first (estimated): {estimate['queryable_minutes']} min "
        f"-> {path}"
    )
    return result


if __name__ == "__main__":
    main()
