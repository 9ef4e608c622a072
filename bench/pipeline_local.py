"""Local path: the pipeline's end-to-end events/s against DuckDB's own `read_json` of the same events.

The emulator (clean profile, no latency, no rate limit) runs in its own process and serves whole UTC
days of 100,000 events, generated before any timing. In fresh processes, median of 3 each:
- the pipeline: `jobs.backfill` into a fresh DuckDB file (rate limit out of the way);
- the baseline: the same events, dumped once to NDJSON as served (outside the timing), loaded by
  DuckDB's `read_json` into a fresh DuckDB file with the pipeline's column types.
The ratio is the issue's goal (>= 50%). dlt's extract / normalize / load split explains it.

    .venv/bin/python -m bench.pipeline_local [--events 1000000] [--runs 3] [--concurrency 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import httpx
import msgspec

from bench import harness

EVENTS_PER_DAY = 100_000

# The pipeline's raw table (docs/architecture.md), built by DuckDB alone.
READ_JSON_COLUMNS = {
    "event_id": "VARCHAR",
    "event_type": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "ip_address": "VARCHAR",
    "session_id": "VARCHAR",
    "type": "VARCHAR",
    "recorded_at": "TIMESTAMPTZ",
    "created_by": "JSON",
    "source": "JSON",
    "additional_details": "JSON",
    "action_by": "JSON",
    "accessible_by": "JSON",
}
BASELINE_SQL = """
create schema box_events;
create table box_events.admin_logs as
select
    event_id, event_type, created_at,
    created_by ->> 'id' as created_by_id,
    created_by ->> 'name' as created_by_name,
    created_by ->> 'login' as created_by_login,
    ip_address, session_id, type, recorded_at,
    created_by, source, additional_details, action_by, accessible_by,
    null::json as extra
from read_json(?, format = 'newline_delimited', columns = {columns});
"""


class _Envelope(msgspec.Struct):
    entries: list[msgspec.Raw]
    next_stream_position: str | int | None = None


def dump_ndjson(emulator: harness.Emulator, start: Any, end: Any, path: Path) -> int:
    """Page `[start, end)` once and write every entry, byte for byte as served, one per line."""
    params = {
        "stream_type": "admin_logs",
        "limit": "500",
        "created_after": start.isoformat(),
        "created_before": end.isoformat(),
    }
    headers = {"Authorization": f"Bearer {emulator.token}"}
    decode = msgspec.json.Decoder(_Envelope).decode
    events = 0
    with httpx.Client(base_url=emulator.api_base_url, timeout=120) as client, path.open("wb") as out:
        while True:
            page = decode(client.get("/events", params=params, headers=headers).raise_for_status().content)
            if not page.entries:
                return events
            out.write(b"\n".join(bytes(entry) for entry in page.entries) + b"\n")
            events += len(page.entries)
            params["stream_position"] = str(page.next_stream_position)


def read_json_baseline(ndjson: str, duckdb_path: str) -> dict[str, Any]:
    """Child process: DuckDB's own NDJSON ingest into a fresh file, closed (checkpointed) in the timing."""
    import time

    import duckdb

    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in READ_JSON_COLUMNS.items()) + "}"
    started = time.perf_counter()
    con = duckdb.connect(duckdb_path)
    con.execute(BASELINE_SQL.format(columns=columns), [ndjson])
    rows = con.execute("select count(*) from box_events.admin_logs").fetchone()[0]
    con.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def run(
    *, quick: bool = False, events: int | None = None, runs: int | None = None, concurrency: int = 2
) -> dict[str, Any]:
    events = events or (50_000 if quick else 1_000_000)
    runs = runs or (1 if quick else 3)
    work = harness.fresh_dir("pipeline_local")
    _, end = harness.whole_days(1)
    days = -(-events // EVENTS_PER_DAY) + 2  # weekends are lighter: room for a day or two more
    config = {"profile": "clean", "events_per_day": EVENTS_PER_DAY, "cache_days": days + 2, "seed": 5}
    with harness.Emulator(**config) as emulator:
        start, expected = harness.days_for_events(emulator, events, end)
        print(f"local: {expected:,} events over {(end - start).days} days, emulator warm", flush=True)
        ndjson = work / "events.ndjson"
        dumped = dump_ndjson(emulator, start, end, ndjson)
        assert dumped == expected, (dumped, expected)
        pipeline_runs, baseline_runs = [], []
        for i in range(runs):
            out = harness.backfill(
                emulator,
                start,
                end,
                work / f"pipeline-{i}",
                requests_per_minute=10**7,
                concurrency=concurrency,
            )
            rows, distinct = harness.loaded_counts(out["duckdb_path"])
            assert rows == distinct == expected, (rows, distinct, expected)
            out["events_per_s"] = rows / out["seconds"]
            pipeline_runs.append(out)
            _report("pipeline", out)
            base = harness.run_child(
                "bench.pipeline_local:read_json_baseline",
                ndjson=str(ndjson),
                duckdb_path=str(work / f"baseline-{i}.duckdb"),
            )
            assert base["rows"] == expected, (base["rows"], expected)
            base["events_per_s"] = expected / base["seconds"]
            baseline_runs.append(base)
            _report("read_json", base)
        emulator_rss_mb = emulator.rss_mb()
    ndjson_mb = ndjson.stat().st_size / 2**20
    pipeline_rate = harness.median(r["events_per_s"] for r in pipeline_runs)
    baseline_rate = harness.median(r["events_per_s"] for r in baseline_runs)
    steps = {
        name: harness.median(r["step_seconds"].get(name, 0.0) for r in pipeline_runs)
        for name in ("extract", "normalize", "load")
    }
    harness.fresh_dir("pipeline_local")  # NDJSON and DuckDB files are scratch: drop them
    return {
        "events": expected,
        "days": (end - start).days,
        "events_per_day": EVENTS_PER_DAY,
        "range": [start.isoformat(), end.isoformat()],
        "runs": runs,
        "concurrency": concurrency,
        "pipeline_events_per_s": round(pipeline_rate),
        "read_json_events_per_s": round(baseline_rate),
        "ratio": round(harness.share(pipeline_rate, baseline_rate), 3),
        "pipeline_seconds_median": round(harness.median(r["seconds"] for r in pipeline_runs), 2),
        "read_json_seconds_median": round(harness.median(r["seconds"] for r in baseline_runs), 2),
        "pipeline_step_seconds_median": {k: round(v, 2) for k, v in steps.items()},
        "pipeline_peak_rss_mb_median": harness.median(r["peak_rss_mb"] for r in pipeline_runs),
        "read_json_peak_rss_mb_median": harness.median(r["peak_rss_mb"] for r in baseline_runs),
        "ndjson_mb": round(ndjson_mb),
        "emulator_rss_mb": round(emulator_rss_mb),
        "pipeline_runs": [_brief(r) for r in pipeline_runs],
        "read_json_runs": [_brief(r) for r in baseline_runs],
    }


def _report(what: str, run: dict[str, Any]) -> None:
    steps = f", steps {run['step_seconds']}" if "step_seconds" in run else ""
    rate = f"{run['seconds']:.1f} s, {run['events_per_s']:,.0f} events/s"
    print(f"  {what}: {rate}, peak RSS {run['peak_rss_mb']:,.0f} MB{steps}", flush=True)


def _brief(run: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in run.items() if k != "duckdb_path"}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50k events, one run (a smoke test)")
    parser.add_argument("--events", type=int, help="events to load (default 1,000,000)")
    parser.add_argument("--runs", type=int, help="runs of each side (default 3)")
    parser.add_argument("--concurrency", type=int, default=2, help="windows fetched at once")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, events=args.events, runs=args.runs, concurrency=args.concurrency)
    path = harness.write_result("pipeline_local", result, quick=args.quick)
    print(
        f"local: pipeline {result['pipeline_events_per_s']:,} events/s, DuckDB read_json "
        f"{result['read_json_events_per_s']:,} events/s: ratio {result['ratio']:.0%} (goal >= 50%) -> {path}"
    )
    return result


if __name__ == "__main__":
    main()
