"""Freshness of the live lane: `boxevents stream --follow` against the emulator's realistic profile.

For every event the follower loaded, the time from its arrival on Box's streaming lane (the
emulator's own schedule: created_at + about 12 s of buffer, `StreamingLane.shows_at`) to its row
being readable in DuckDB (the commit time of its load, `_dlt_loads.inserted_at`): p50 and p95. The
goal: p95 at most 30 s beyond the buffer. Beside it, an idle enterprise: API calls per hour once the
follower's interval has grown to its maximum.

    .venv/bin/python -m bench --only freshness          # 5 minutes following, 8 idle, side by side
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from bench import harness

BOXEVENTS = str(Path(sys.executable).with_name("boxevents"))


def _follow(emulator: harness.Emulator, folder: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        **harness.CHILD_ENV,
        "SOURCES__BOX_EVENTS__API_BASE_URL": emulator.api_base_url,
        "SOURCES__BOX_EVENTS__TOKEN_URL": emulator.token_url,
        "SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN": emulator.token,
    }
    return subprocess.Popen(
        [BOXEVENTS, "stream", "--follow", "--duckdb-path", str(folder / "box_audit.duckdb")],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    return output.decode()


def _latencies(duckdb_path: Path, since: float) -> list[float]:
    from box_emulator import EmulatorConfig
    from box_emulator.streaming import StreamingLane

    config = EmulatorConfig()
    lane = StreamingLane(config.streaming_buffer_seconds, config.streaming_buffer_jitter_seconds)
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            "SELECT e.event_id, epoch(e.created_at), epoch(d.inserted_at) FROM box_events.admin_logs e "
            "JOIN box_events._dlt_loads d ON d.load_id = e._dlt_load_id "
            "WHERE e.first_lane = 'admin_logs_streaming'"
        ).fetchall()
    out = []
    for event_id, created, readable in rows:
        shown = lane.shows_at(event_id, int(created))
        if shown is not None and shown > since:  # shown after the follower started from `now`
            out.append(readable - shown)
    return sorted(out)


def _percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))]


def run(*, quick: bool = False) -> dict[str, Any]:
    follow_s, idle_s, warm_s = (60, 90, 30) if quick else (300, 480, 240)
    events_per_day = 50_000
    folder = harness.fresh_dir("freshness")
    (folder / "busy").mkdir()
    (folder / "idle").mkdir()
    with (
        harness.Emulator(profile="realistic", events_per_day=events_per_day) as busy,
        harness.Emulator(events_per_day=0, floor_period_days=0, scenarios=[]) as idle,
    ):
        started = time.time()
        followers = {"busy": _follow(busy, folder / "busy"), "idle": _follow(idle, folder / "idle")}
        time.sleep(warm_s)
        idle_before = idle.stats()["events_requests"]
        time.sleep(max(follow_s - warm_s, 0))
        busy_output = _stop(followers["busy"])
        time.sleep(max(idle_s - follow_s, 0))
        idle_calls = idle.stats()["events_requests"] - idle_before
        idle_output = _stop(followers["idle"])
    latencies = _latencies(folder / "busy" / "box_audit.duckdb", started)
    if not latencies:
        raise RuntimeError(f"the follower loaded nothing: {busy_output}")
    p50, p95 = _percentile(latencies, 0.5), _percentile(latencies, 0.95)
    idle_window_s = idle_s - warm_s
    return {
        "events_per_day": events_per_day,
        "profile": "realistic",
        "follow_seconds": follow_s,
        "events_measured": len(latencies),
        "latency_p50_s": round(p50, 1),
        "latency_p95_s": round(p95, 1),
        "latency_max_s": round(latencies[-1], 1),
        "goal_p95_s": 30,
        "met": p95 <= 30,
        "idle_calls": idle_calls,
        "idle_window_seconds": idle_window_s,
        "idle_calls_per_hour": round(idle_calls * 3600 / idle_window_s, 1),
        "busy_summary": busy_output.strip().splitlines()[-1:],
        "idle_summary": idle_output.strip().splitlines()[-1:],
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
