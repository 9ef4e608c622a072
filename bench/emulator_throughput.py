"""Emulator throughput: how fast one httpx client can page admin_logs on the clean profile.

Why: a later benchmark pushes 1M events through the emulator, so the emulator must not be the
bottleneck (goal: >= 100k events/s). The server runs in its own process (as the pipeline's
would), the client pages a window of >= 200,000 events with limit=500, after a warm-up pass
that generates the days. Reports the median of 3 runs.

    .venv/bin/python -m bench.emulator_throughput [--events-per-day 60000] [--days 4]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

RESULTS = Path(__file__).parent / "results" / "emulator_throughput.json"
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
WINDOW_START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday: weekdays carry full volume


def _serve(events_per_day: int, cache_days: int, port_queue: mp.Queue) -> None:
    from box_emulator import Emulator, EmulatorConfig, EmulatorServer, ManualClock

    emulator = Emulator(
        EmulatorConfig(events_per_day=events_per_day, profile="clean", cache_days=cache_days),
        clock=ManualClock(NOW),
    )
    with EmulatorServer(emulator) as server:
        port_queue.put(server.port)
        while True:
            time.sleep(3600)


HEAD = re.compile(rb'^\{"chunk_size":(\d+),"next_stream_position":"?(\d+)"?')


def page_window(client: httpx.Client, token: str, days: int, *, full_parse: bool = False) -> tuple[int, int]:
    """Page the window to its terminal page; returns (events, requests).

    By default only the page head (`chunk_size`, `next_stream_position`, which the emulator
    writes first) is parsed, so the figure measures the emulator, not the client's JSON
    decoding; `full_parse=True` decodes every page with orjson as a real client would.
    """
    params = {
        "stream_type": "admin_logs",
        "created_after": WINDOW_START.isoformat(),
        "created_before": (WINDOW_START + timedelta(days=days)).isoformat(),
        "limit": 500,
    }
    headers = {"Authorization": f"Bearer {token}"}
    events = requests = 0
    position: str | None = None
    while True:
        query = dict(params)
        if position is not None:
            query["stream_position"] = position
        response = client.get("/events", params=query, headers=headers)
        response.raise_for_status()
        requests += 1
        if full_parse:
            body = orjson.loads(response.content)
            count, position = len(body["entries"]), str(body["next_stream_position"])
        else:
            head = HEAD.match(response.content)
            assert head is not None
            count, position = int(head.group(1)), head.group(2).decode()
        if count == 0:
            return events, requests
        events += count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events-per-day", type=int, default=60_000)
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from box_emulator import EmulatorConfig

    token = EmulatorConfig().developer_token
    ctx = mp.get_context("spawn")
    port_queue: mp.Queue = ctx.Queue()
    server = ctx.Process(target=_serve, args=(args.events_per_day, args.days + 2, port_queue), daemon=True)
    server.start()
    try:
        port = port_queue.get(timeout=60)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/2.0", timeout=120) as client:
            started = time.perf_counter()
            events, requests = page_window(client, token, args.days)  # warm-up: generates days
            warmup_s = time.perf_counter() - started
            runs, parsed = [], []
            for _ in range(args.runs):
                for full_parse, out in ((False, runs), (True, parsed)):
                    started = time.perf_counter()
                    n, r = page_window(client, token, args.days, full_parse=full_parse)
                    elapsed = time.perf_counter() - started
                    assert n == events
                    out.append(
                        {"seconds": elapsed, "events_per_s": n / elapsed, "requests_per_s": r / elapsed}
                    )
    finally:
        server.kill()
        server.join()
    result = {
        "benchmark": "emulator_throughput",
        "profile": "clean",
        "events": events,
        "requests": requests,
        "limit": 500,
        "warmup_seconds": round(warmup_s, 2),
        "events_per_s": round(statistics.median(r["events_per_s"] for r in runs)),
        "requests_per_s": round(statistics.median(r["requests_per_s"] for r in runs), 1),
        "runs": runs,
        "events_per_s_full_parse": round(statistics.median(r["events_per_s"] for r in parsed)),
        "runs_full_parse": parsed,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"emulator_throughput: {result['events_per_s']:,} events/s, "
        f"{result['requests_per_s']:,} requests/s ({events:,} events, {requests} pages of 500, "
        f"median of {args.runs}; warm-up {warmup_s:.1f}s); with full orjson decoding in the "
        f"client: {result['events_per_s_full_parse']:,} events/s -> {RESULTS}"
    )


if __name__ == "__main__":
    main()
