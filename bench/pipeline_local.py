"""Local path: the pipeline end to end against the fair floor, the same events fetched and parsed.

The emulator (clean profile, no latency, no rate limit) runs in its own process and serves whole UTC
days of 100,000 events, generated before any timing. Each run, in fresh processes, one after the
other (floor, then pipeline), median of 3:
- the floor (issue 13): (a) one plain httpx client pages `[start, end)` from the same emulator and
  keeps the raw page bytes, one page a line in a file (timed: `floor_fetch`); (b) DuckDB `read_json`
  of those bytes into the typed table of the pipeline's `admin_logs` columns (timed:
  `floor_read_json`); floor = fetch + read_json;
- the pipeline: `jobs.backfill` into a fresh DuckDB file (rate limit out of the way), with dlt's
  extract / normalize / load split.
The ratio is pipeline / floor (goal <= 1.3). Core-seconds of each part (the child's own CPU, all its
threads, and the emulator's while it served that part) say where a 2-core machine's time goes.

    .venv/bin/python -m bench.pipeline_local [--events 1000000] [--runs 3] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec

from bench import harness

EVENTS_PER_DAY = 100_000
GOAL_RATIO = 1.3
"""Issue 13: the pipeline at most 1.3x the fair floor."""

# The pipeline's raw table (docs/architecture.md), built by DuckDB alone from the page bytes.
EVENT_STRUCT = (
    "STRUCT(event_id VARCHAR, event_type VARCHAR, created_at TIMESTAMPTZ, ip_address VARCHAR, "
    "session_id VARCHAR, type VARCHAR, recorded_at TIMESTAMPTZ, created_by JSON, source JSON, "
    "additional_details JSON, action_by JSON, accessible_by JSON)"
)
FLOOR_SQL = """
create schema box_events;
create table box_events.admin_logs as
select
    e.event_id, e.event_type, e.created_at,
    e.created_by ->> 'id' as created_by_id,
    e.created_by ->> 'name' as created_by_name,
    e.created_by ->> 'login' as created_by_login,
    e.ip_address, e.session_id, e.type, e.recorded_at,
    e.created_by, e.source, e.additional_details, e.action_by, e.accessible_by,
    null::json as extra
from (
    select unnest(entries) as e
    from read_json(?, format = 'newline_delimited', maximum_object_size = 16777216,
                   columns = {{'entries': '{event}[]', 'next_stream_position': 'VARCHAR'}})
);
"""


class _Envelope(msgspec.Struct):
    entries: list[msgspec.Raw]
    next_stream_position: str | int | None = None


def floor_fetch(api_base_url: str, token: str, start: str, end: str, pages_path: str) -> dict[str, Any]:
    """Child process: one plain client pages `[start, end)` and writes each page's bytes as served,
    one page a line (the position for the next request is all it decodes)."""
    params = {"stream_type": "admin_logs", "limit": "500", "created_after": start, "created_before": end}
    headers = {"Authorization": f"Bearer {token}"}
    decode = msgspec.json.Decoder(_Envelope).decode
    pages = events = size = 0
    started, cpu = time.perf_counter(), time.process_time()
    with httpx.Client(base_url=api_base_url, timeout=120) as client, Path(pages_path).open("wb") as out:
        while True:
            body = client.get("/events", params=params, headers=headers).raise_for_status().content
            page = decode(body)
            if not page.entries:
                break
            assert b"\n" not in body, "a page spans lines: read_json would split it"
            out.write(body + b"\n")
            pages, events, size = pages + 1, events + len(page.entries), size + len(body)
            params["stream_position"] = str(page.next_stream_position)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "pages": pages,
        "events": events,
        "mb": size / 2**20,
    }


def floor_read_json(pages_path: str, duckdb_path: str) -> dict[str, Any]:
    """Child process: DuckDB's `read_json` of the page bytes into the typed table of a fresh file,
    closed (checkpointed) in the timing."""
    import duckdb

    started, cpu = time.perf_counter(), time.process_time()
    con = duckdb.connect(duckdb_path)
    con.execute(FLOOR_SQL.format(event=EVENT_STRUCT), [pages_path])
    rows, distinct = con.execute(
        "select count(*), count(distinct event_id) from box_events.admin_logs"
    ).fetchone()
    con.close()
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "rows": rows,
        "distinct": distinct,
    }


def pipeline_backfill(**kwargs: Any) -> dict[str, Any]:
    """Child process: `harness._backfill` (the job, timed, with its step split) and its CPU time."""
    cpu = time.process_time()
    out = harness._backfill(**kwargs)
    out["cpu_seconds"] = time.process_time() - cpu
    return out


def _measured(emulator: harness.Emulator, target: str, **kwargs: Any) -> dict[str, Any]:
    """A child's result plus the emulator's CPU time while the child ran."""
    before = emulator.cpu_seconds()
    out = harness.run_child(target, **kwargs)
    out["emulator_cpu_seconds"] = emulator.cpu_seconds() - before
    return out


def one_run(
    emulator: harness.Emulator, start: datetime, end: datetime, work: Path, i: int, *, concurrency: int
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The floor's two parts, then the pipeline, each in a fresh process."""
    pages = work / f"pages-{i}.ndjson"
    fetch = _measured(
        emulator,
        "bench.pipeline_local:floor_fetch",
        api_base_url=emulator.api_base_url,
        token=emulator.token,
        start=start.isoformat(),
        end=end.isoformat(),
        pages_path=str(pages),
    )
    read = _measured(
        emulator,
        "bench.pipeline_local:floor_read_json",
        pages_path=str(pages),
        duckdb_path=str(work / f"floor-{i}.duckdb"),
    )
    pages.unlink()
    pipeline = _measured(
        emulator,
        "bench.pipeline_local:pipeline_backfill",
        api_base_url=emulator.api_base_url,
        token_url=emulator.token_url,
        token=emulator.token,
        start=start.isoformat(),
        end=end.isoformat(),
        workdir=str(work / f"pipeline-{i}"),
        requests_per_minute=10**7,
        concurrency=concurrency,
        windows_per_run=None,
        record_requests=False,
    )
    rows, distinct = harness.loaded_counts(pipeline["duckdb_path"])
    pipeline.update(rows=rows, distinct=distinct)
    return fetch, read, pipeline


def run(
    *, quick: bool = False, events: int | None = None, runs: int | None = None, concurrency: int = 2
) -> dict[str, Any]:
    events = events or (50_000 if quick else 1_000_000)
    runs = runs or (1 if quick else 3)
    work = harness.fresh_dir("pipeline_local")
    _, end = harness.whole_days(1)
    days = -(-events // EVENTS_PER_DAY) + 2  # weekends are lighter: room for a day or two more
    # room for every day walked and the one before: a day evicted and generated again inside a
    # timed run would time the emulator (run() checks that none was)
    config = {"profile": "clean", "events_per_day": EVENTS_PER_DAY, "cache_days": 2 * days, "seed": 5}
    fetches, reads, pipelines = [], [], []
    with harness.Emulator(**config) as emulator:
        start, expected = harness.days_for_events(emulator, events, end)
        print(f"local: {expected:,} events over {(end - start).days} days, emulator warm", flush=True)
        generated = emulator.stats()["days_generated"]
        for i in range(runs):
            fetch, read, pipeline = one_run(emulator, start, end, work, i, concurrency=concurrency)
            assert fetch["events"] == read["rows"] == read["distinct"] == expected, (fetch, read, expected)
            assert pipeline["rows"] == pipeline["distinct"] == expected, (pipeline, expected)
            fetches.append(fetch)
            reads.append(read)
            pipelines.append(pipeline)
            floor = fetch["seconds"] + read["seconds"]
            print(
                f"  run {i + 1}: floor {floor:.2f} s (fetch {fetch['seconds']:.2f} + read_json "
                f"{read['seconds']:.2f}), pipeline {pipeline['seconds']:.2f} s {pipeline['step_seconds']}"
                f" = {pipeline['seconds'] / floor:.2f}x",
                flush=True,
            )
        emulator_rss_mb = emulator.rss_mb()
        regenerated = emulator.stats()["days_generated"] - generated
    if regenerated:
        raise RuntimeError(
            f"the emulator generated {regenerated} day(s) inside the timed runs: raise cache_days"
        )
    harness.fresh_dir("pipeline_local")  # page files and DuckDB files are scratch: drop them
    return summarize(fetches, reads, pipelines, expected, start, end, runs, concurrency, emulator_rss_mb)


def summarize(
    fetches: list[dict[str, Any]],
    reads: list[dict[str, Any]],
    pipelines: list[dict[str, Any]],
    expected: int,
    start: datetime,
    end: datetime,
    runs: int,
    concurrency: int,
    emulator_rss_mb: float,
) -> dict[str, Any]:
    def med(rows: list[dict[str, Any]], key: str) -> float:
        return round(harness.median(r[key] for r in rows), 2)

    floors = [f["seconds"] + r["seconds"] for f, r in zip(fetches, reads, strict=True)]
    floor = harness.median(floors)
    pipeline = harness.median(p["seconds"] for p in pipelines)
    ratio = pipeline / floor
    steps = {
        name: round(harness.median(p["step_seconds"].get(name, 0.0) for p in pipelines), 2)
        for name in ("extract", "normalize", "load")
    }
    return {
        "events": expected,
        "days": (end - start).days,
        "events_per_day": EVENTS_PER_DAY,
        "range": [start.isoformat(), end.isoformat()],
        "runs": runs,
        "concurrency": concurrency,
        "floor_fetch_seconds_median": med(fetches, "seconds"),
        "floor_read_json_seconds_median": med(reads, "seconds"),
        "floor_seconds_median": round(floor, 2),
        "pipeline_seconds_median": round(pipeline, 2),
        "pipeline_step_seconds_median": steps,
        "ratio": round(ratio, 2),
        "goal_ratio": GOAL_RATIO,
        "met": ratio <= GOAL_RATIO,
        "pipeline_events_per_s": round(expected / pipeline),
        "floor_events_per_s": round(expected / floor),
        "core_seconds_median": {
            "floor_fetch_client": med(fetches, "cpu_seconds"),
            "floor_fetch_emulator": med(fetches, "emulator_cpu_seconds"),
            "floor_read_json": med(reads, "cpu_seconds"),
            "pipeline": med(pipelines, "cpu_seconds"),
            "pipeline_emulator": med(pipelines, "emulator_cpu_seconds"),
        },
        "pipeline_peak_rss_mb_median": med(pipelines, "peak_rss_mb"),
        "floor_read_json_peak_rss_mb_median": med(reads, "peak_rss_mb"),
        "pages_mb": round(fetches[0]["mb"]),
        "emulator_rss_mb": round(emulator_rss_mb),
        "floor_fetch_runs": [_brief(r) for r in fetches],
        "floor_read_json_runs": [_brief(r) for r in reads],
        "pipeline_runs": [_brief(r) for r in pipelines],
    }


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
        f"local: pipeline {result['pipeline_seconds_median']:.2f} s, "
        f"floor {result['floor_seconds_median']:.2f} s "
        f"(fetch {result['floor_fetch_seconds_median']:.2f} + read_json "
        f"{result['floor_read_json_seconds_median']:.2f}): {result['ratio']:.2f}x the floor "
        f"(goal <= {GOAL_RATIO}) -> {path}"
    )
    return result


if __name__ == "__main__":
    main()
