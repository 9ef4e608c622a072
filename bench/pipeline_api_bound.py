"""API-bound: how much of Box's request budget a backfill uses, and what a year would take.

The emulator (its own process) answers each page after 200-400 ms and allows 1,000 requests a
minute (a token bucket per user, as Box); 10,000 events a day, 90 whole UTC days (the issue asks
for at least 30; 90 days is over 1,500 requests, enough to drain the emulator's full bucket and
measure a sustained rate rather than a start and a tail). The pipeline
runs with a client-side limit just under Box's and enough windows at once to hide the latency.
Measured: achieved requests/minute from the first request to the last, as a share of 1,000; 429s;
idle gaps; and exactness (loaded event ids == the oracle's). From the rate: a 365-day, 10M-event
backfill next to the API's floor.

    .venv/bin/python -m bench.pipeline_api_bound [--days 90] [--requests-per-minute 980] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import itertools
import math
from typing import Any

from bench import harness
from pipelines.box_events.settings import DEFAULT_WINDOWS_PER_RUN

BOX_LIMIT_PER_MINUTE = 1000
PAGE_LIMIT = 500
YEAR_DAYS, YEAR_EVENTS = 365, 10_000_000
GAP_S = 1.0  # a pause between two requests longer than this counts as idle (no window fetching)


def year_estimate(requests_per_minute: float) -> dict[str, float]:
    """Minutes for a 365-day, 10M-event backfill: one request per 500 events plus one terminal
    page per one-day window, at the given rate and at Box's 1,000 a minute (the floor)."""
    requests = math.ceil(YEAR_EVENTS / PAGE_LIMIT) + YEAR_DAYS
    return {
        "requests": requests,
        "minutes_at_measured_rate": round(requests / requests_per_minute, 1),
        "minutes_at_api_floor": round(requests / BOX_LIMIT_PER_MINUTE, 1),
    }


def _histogram(times: list[float], bucket_s: float) -> list[int]:
    """Requests sent in each `bucket_s` slice of the job (from its start): the shape of the rate."""
    counts = [0] * (int(max(times) // bucket_s) + 1)
    for at in times:
        counts[int(at // bucket_s)] += 1
    return counts


def run(
    *,
    quick: bool = False,
    days: int | None = None,
    requests_per_minute: float = 980,
    concurrency: int = 8,
    windows_per_run: int | None = None,
) -> dict[str, Any]:
    days = days or (2 if quick else 90)
    start, end = harness.whole_days(days)
    config = {
        "profile": "clean",
        "events_per_day": 10_000,
        "latency_ms": (200, 400),
        "rate_limit_per_minute": BOX_LIMIT_PER_MINUTE,
        "cache_days": days + 5,
        "seed": 11,
    }
    with harness.Emulator(**config) as emulator:
        truth = emulator.oracle(start, end)  # also generates the days, outside the timing
        before = emulator.stats()
        out = harness.backfill(
            emulator,
            start,
            end,
            harness.fresh_dir("pipeline_api_bound"),
            requests_per_minute=requests_per_minute,
            concurrency=concurrency,
            windows_per_run=windows_per_run,
            record_requests=True,
        )
        after = emulator.stats()
    served = {k: after[k] - before[k] for k in ("events_requests", "throttled_429", "responses_200")}
    loaded = harness.loaded_ids(out["duckdb_path"])
    expected = set(truth["event_ids"])
    missing, unexpected = expected - set(loaded), set(loaded) - expected
    duplicates = len(loaded) - len(set(loaded))

    sent = out["requests"]
    times = [at for at, _ in sent]
    span_s = times[-1] - times[0]
    achieved = (len(times) - 1) / span_s * 60 if span_s > 0 else 0.0
    gaps = [b - a for a, b in itertools.pairwise(times) if b - a > GAP_S]
    throttled = sum(1 for _, status in sent if status == 429)
    harness.fresh_dir("pipeline_api_bound")
    return {
        "days": days,
        "events_per_day": config["events_per_day"],
        "latency_ms": list(config["latency_ms"]),
        "rate_limit_per_minute": BOX_LIMIT_PER_MINUTE,
        "client_requests_per_minute": requests_per_minute,
        "concurrency": concurrency,
        "windows_per_run": windows_per_run or f"default ({DEFAULT_WINDOWS_PER_RUN})",
        "dlt_runs": out["dlt_runs"],
        "events": len(expected),
        "seconds": round(out["seconds"], 1),
        "requests_sent": len(sent),
        "requests_seen_by_emulator": served["events_requests"],
        "answered_429": served["throttled_429"],
        "share_429": round(harness.share(served["throttled_429"], served["events_requests"]), 4),
        "client_saw_429": throttled,
        "first_to_last_request_s": round(span_s, 1),
        "achieved_requests_per_minute": round(achieved, 1),
        "share_of_limit": round(achieved / BOX_LIMIT_PER_MINUTE, 3),
        "share_of_configured_limit": round(achieved / requests_per_minute, 3),
        "share_of_limit_over_whole_job": round((len(sent) / out["seconds"] * 60) / BOX_LIMIT_PER_MINUTE, 3),
        "requests_per_5s": _histogram(times, 5.0),
        "idle_gaps_over_1s": len(gaps),
        "idle_seconds_in_gaps": round(sum(gaps), 1),
        "step_seconds": out["step_seconds"],
        "peak_rss_mb": out["peak_rss_mb"],
        "exact": not missing and not unexpected and not duplicates,
        "missing": len(missing),
        "unexpected": len(unexpected),
        "duplicates": duplicates,
        "year_estimate": year_estimate(achieved),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 days (a smoke test)")
    parser.add_argument("--days", type=int, help="whole UTC days to backfill (default 90)")
    parser.add_argument("--requests-per-minute", type=float, default=980, help="the client's limit")
    parser.add_argument("--concurrency", type=int, default=8, help="windows fetched at once")
    parser.add_argument("--windows-per-run", type=int, help="windows per dlt run (default: the pipeline's)")
    args = parser.parse_args(argv)
    result = run(
        quick=args.quick,
        days=args.days,
        requests_per_minute=args.requests_per_minute,
        concurrency=args.concurrency,
        windows_per_run=args.windows_per_run,
    )
    path = harness.write_result("pipeline_api_bound", result, quick=args.quick)
    year = result["year_estimate"]
    print(
        f"api-bound: {result['achieved_requests_per_minute']:,.0f} requests/min = "
        f"{result['share_of_limit']:.1%} of {BOX_LIMIT_PER_MINUTE:,} (goal >= 95%), "
        f"{result['answered_429']} answered 429 ({result['share_429']:.2%}, goal < 1%), "
        f"exact: {result['exact']}; a 10M-event year: {year['minutes_at_measured_rate']} min "
        f"(floor {year['minutes_at_api_floor']} min) -> {path}"
    )
    return result


if __name__ == "__main__":
    main()
