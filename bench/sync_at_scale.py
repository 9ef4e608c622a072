"""Scale: a `sync` of about 10,000 new events plus the incremental transforms, at 1M, 10M and 50M rows.

Box keeps a year; the warehouse keeps everything it ever loaded, so a large enterprise's tables grow
into tens of millions of rows while `sync` keeps running every few minutes. This benchmark builds the
warehouse a steady state would have at each size and measures what one more sync costs there:

- The newest 26 hours come from the emulator (125,000 events a weekday) through the real pipeline
  (`jobs.backfill`), so the measured sync's overlap and settle re-reads meet real, known events.
- Everything older is written straight into the warehouse by SQL (`transforms_rebuild.append_synthetic`:
  the emulator's event-type mix and per-family shapes, same tables and columns), with its ledger: one
  settled `admin_logs` window per day, in a completed load.
- A full `dbt build` (timed, not a goal), then the DuckDB file's size.
- Three rounds, each in a fresh process: `jobs.sync` with the clock set so that about 10,000 new events
  are due (its 3-hour overlap and the settle sweep re-read known ones, as every real sync does), then
  `run_transforms` (incremental). Timed end to end, with the process's peak RSS during the sync and
  during the whole round.
- After the rounds: the ids of the real part equal the emulator's oracle, and no id is there twice.
- Then dbt's fixed cost, in one more fresh process: its import, and an incremental run after a load
  of one synthetic event in the newest synced minute (what the transforms cost before any row is read;
  the kept warehouse holds that event too).

    .venv/bin/python -m bench --only scale          # 1M, 10M, 50M (about 50 minutes, 20 GB of disk)
    .venv/bin/python -m bench.sync_at_scale --sizes 1000000,10000000
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import harness
from bench.transforms_rebuild import append_synthetic
from pipelines.box_events.settings import DEFAULT_LAG

EVENTS_PER_WEEKDAY = 125_000
SYNC_EVENTS = 10_000
REAL_SPAN = timedelta(hours=26)
"""The newest part, read from the emulator by the pipeline: more than the settle age (24 h) plus the
sync's overlap, so every re-read of the measured syncs meets events the pipeline itself loaded."""
ARRIVAL_MARGIN = timedelta(hours=2, minutes=10)
"""The emulator shows an event in admin_logs up to 2 hours after it happened: measured syncs end
before that, so what they read is complete (and the oracle check exact)."""
BASE_LOAD_ID = "1000000000.000001"
ONE_EVENT_RUN = 1  # the synthetic ids' seed of the fixed-cost event (the base's is 0)
ROUNDS = 3
GOAL_SECONDS = 10.0
GOAL_RATIO = 2.0
GOAL_RSS_MB = 1024
GOAL_RSS_SPREAD = 0.2

LEDGER_ROWS = """
insert into box_events.window_ledger by name
select t.* replace (
    d.day as window_start,
    d.day + interval 1 day as window_end,
    d.events as events_read,
    d.events as events_new,
    d.day + interval 2 day as completed_at,
    '{load_id}' as _dlt_load_id,
    'synthetic-' || strftime(d.day, '%Y%m%d') as _dlt_id
)
from (select * from box_events.window_ledger limit 1) as t,
     (select date_trunc('day', created_at) as day, count(*) as events from box_events.admin_logs
      where _dlt_load_id = '{load_id}' group by 1) as d
"""
"""One settled daily window per synthetic day, in the synthetic load (a template row gives the rest)."""


def _sync_round(*, workdir: str, api_base_url: str, token_url: str, token: str, now: str) -> dict[str, Any]:
    """Child process: one sync at `now`, then the incremental transforms; times and memory."""
    from pipelines import jobs
    from pipelines.box_events.settings import SYNC_DUCKDB_MEMORY_LIMIT
    from transforms import run_transforms
    from transforms.runner import import_dbt_in_background

    sampler = harness.RssSampler()
    pipeline = _pipeline(Path(workdir), SYNC_DUCKDB_MEMORY_LIMIT)  # as `boxevents sync` opens it
    steps, step_peaks = harness.trace_steps(pipeline, sampler)
    api = jobs.ApiOptions(
        api_base_url=api_base_url,
        token_url=token_url,
        credentials={"developer_token": token},
        requests_per_minute=10**7,
    )
    started = time.perf_counter()
    import_dbt_in_background()  # as `boxevents sync` does
    report = jobs.sync(pipeline, api=api, now=datetime.fromisoformat(now))
    synced, synced_at = time.perf_counter(), time.time()
    transforms = run_transforms(pipeline)
    finished = time.perf_counter()
    sampler.stop()
    slowest = sorted(
        ((m.name, round(m.seconds, 2)) for m in transforms.models if m.action != "skipped"),
        key=lambda item: -item[1],
    )[:6]
    return {
        "seconds": finished - started,
        "sync_s": synced - started,
        "transforms_s": finished - synced,
        "events_read": report.events,
        "events_new": report.events_new,
        "windows": report.windows_planned,
        "windows_settled": report.windows_settled,
        "transform_mode": transforms.mode,
        "days_rebuilt": len(transforms.days),
        "slowest_models": slowest,
        "sync_peak_rss_mb": round(sampler.peak_between(0, synced_at)),
        "sync_step_seconds": {name: round(value, 2) for name, value in steps.items()},
        "sync_step_peak_rss_mb": {name: round(value) for name, value in step_peaks.items()},
    }


def _dbt_fixed_cost(*, workdir: str, at: str) -> dict[str, Any]:
    """Child process: what the transforms cost before any row is read. dbt's import in a fresh
    process, then an incremental run after a load of one synthetic event at `at` (the newest
    synced minute, so the run rebuilds the same days a sync's does)."""
    import_started = time.perf_counter()  # dbt first: dlt and the transforms are not its cost
    import dbt.adapters.duckdb
    import dbt.cli.main  # noqa: F401

    import_s = time.perf_counter() - import_started
    from transforms import run_transforms

    append_synthetic(
        Path(workdir) / "pipeline.duckdb",
        run=ONE_EVENT_RUN,
        first=0,
        count=1,
        start=datetime.fromisoformat(at),
        span=timedelta(0),
        load_id=f"{time.time():.6f}",
    )
    report = run_transforms(_pipeline(Path(workdir)))
    return {"dbt_import_s": import_s, "one_event_s": report.seconds, "mode": report.mode}


def _full_build(*, workdir: str) -> dict[str, Any]:
    """Child process: the first (full) dbt build over the warehouse."""
    from transforms import run_transforms

    report = run_transforms(_pipeline(Path(workdir)), full_rebuild=True)
    return {"seconds": report.seconds, "mode": report.mode}


def _pipeline(workdir: Path, duckdb_memory_limit: str | None = None) -> Any:
    from pipelines import jobs

    return jobs.make_pipeline(
        duckdb_path=workdir / "pipeline.duckdb",
        pipelines_dir=workdir / "dlt",
        duckdb_memory_limit=duckdb_memory_limit,
    )


def sync_boundaries(emulator: harness.Emulator, end: datetime, events: int, rounds: int) -> list[datetime]:
    """`rounds + 1` times ending at `end`, each span between two of them the shortest whole number
    of minutes that holds at least `events` events (the emulator's volume follows the working day)."""
    boundaries = [end]
    for _ in range(rounds):
        later = boundaries[0]
        low, high = 1, 24 * 60
        while low < high:
            middle = (low + high) // 2
            if emulator.oracle(later - timedelta(minutes=middle), later)["count"] >= events:
                high = middle
            else:
                low = middle + 1
        boundaries.insert(0, later - timedelta(minutes=low))
    return boundaries


def _base(path: Path, count: int, before: datetime) -> float:
    """Synthetic history of `count` events, about one weekday's volume a day, ending at `before`;
    with its settled ledger rows. Returns seconds taken."""
    import duckdb

    days = max(1, -(-count // EVENTS_PER_WEEKDAY))
    start = before - timedelta(days=days)
    seconds = append_synthetic(
        path, run=0, first=0, count=count, start=start, span=before - start, load_id=BASE_LOAD_ID
    )
    with duckdb.connect(str(path)) as con:
        con.execute(LEDGER_ROWS.format(load_id=BASE_LOAD_ID))
    return seconds


def _file_mb(path: Path) -> float:
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")
    return path.stat().st_size / 2**20


def _exact(emulator: harness.Emulator, path: Path, start: datetime, end: datetime) -> dict[str, Any]:
    """The real part against the oracle; the whole table for duplicates."""
    import duckdb

    expected = set(emulator.oracle(start, end)["event_ids"])
    with duckdb.connect(str(path), read_only=True) as con:
        loaded = [
            row[0]
            for row in con.execute(
                "select event_id from box_events.admin_logs where created_at >= ? and created_at < ?",
                [start, end],
            ).fetchall()
        ]
        rows, distinct = con.execute(
            "select count(*), count(distinct event_id) from box_events.admin_logs"
        ).fetchone()
    return {
        "exact": set(loaded) == expected and len(loaded) == len(expected),
        "missing": len(expected - set(loaded)),
        "unexpected": len(set(loaded) - expected),
        "rows": rows,
        "duplicates": rows - distinct,
    }


def measure_size(
    emulator: harness.Emulator, size: int, *, boundaries: list[datetime], keep: bool = False
) -> dict[str, Any]:
    """Build the warehouse of `size` rows up to `boundaries[0]`, then time one sync to each later
    boundary. The warehouse is deleted afterwards unless `keep` (to look into it)."""
    t0 = boundaries[0]
    workdir = harness.fresh_dir(f"scale/{size}")
    path = workdir / "pipeline.duckdb"
    real = harness.backfill(
        emulator, t0 - REAL_SPAN, t0, workdir, requests_per_minute=10**7, concurrency=None
    )
    real_rows = real["events_reported"]
    base_s = _base(path, max(0, size - real_rows), t0 - REAL_SPAN)
    full = harness.run_child("bench.sync_at_scale:_full_build", workdir=str(workdir))
    file_mb = _file_mb(path)
    print(
        f"  scale {size:,}: real {real_rows:,} in {real['seconds']:.0f} s, synthetic in {base_s:.0f} s, "
        f"full build {full['seconds']:.0f} s, {file_mb:,.0f} MB",
        flush=True,
    )
    runs = []
    for k, end in enumerate(boundaries[1:], start=1):
        now = end + DEFAULT_LAG
        out = harness.run_child(
            "bench.sync_at_scale:_sync_round",
            workdir=str(workdir),
            api_base_url=emulator.api_base_url,
            token_url=emulator.token_url,
            token=emulator.token,
            now=now.isoformat(),
        )
        runs.append(out)
        print(
            f"    round {k}: {out['seconds']:.1f} s (sync {out['sync_s']:.1f} s, {out['events_new']:,} new "
            f"of {out['events_read']:,} read; transforms {out['transforms_s']:.1f} s, "
            f"{out['transform_mode']}); peak RSS sync {out['sync_peak_rss_mb']:,} MB, "
            f"round {out['peak_rss_mb']:,.0f} MB; slowest {out['slowest_models'][:3]}",
            flush=True,
        )
    check = _exact(emulator, path, t0 - REAL_SPAN, boundaries[-1])
    # after the check: its one synthetic event is not the emulator's
    at = (boundaries[-1] - timedelta(minutes=1)).isoformat()
    fixed = harness.run_child("bench.sync_at_scale:_dbt_fixed_cost", workdir=str(workdir), at=at)
    print(
        f"    dbt's fixed cost: import {fixed['dbt_import_s']:.1f} s, transforms after one new event "
        f"{fixed['one_event_s']:.1f} s ({fixed['mode']})",
        flush=True,
    )
    result = {
        "size": size,
        "rows": check["rows"],
        "real_rows": real_rows,
        "file_mb": round(file_mb),
        "full_build_s": round(full["seconds"], 1),
        "seconds_median": round(harness.median(r["seconds"] for r in runs), 2),
        "sync_s_median": round(harness.median(r["sync_s"] for r in runs), 2),
        "transforms_s_median": round(harness.median(r["transforms_s"] for r in runs), 2),
        "events_new_median": harness.median(r["events_new"] for r in runs),
        "sync_peak_rss_mb_max": max(r["sync_peak_rss_mb"] for r in runs),
        "round_peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
        "dbt_import_s": round(fixed["dbt_import_s"], 2),
        "transforms_one_event_s": round(fixed["one_event_s"], 2),
        "transforms_one_event_mode": fixed["mode"],
        "exact": check["exact"] and check["duplicates"] == 0,
        "check": check,
        "runs": [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in runs],
    }
    if not keep:
        harness.fresh_dir(f"scale/{size}")  # gigabytes of scratch: drop them once measured
    return result


def run(
    *, quick: bool = False, sizes: list[int] | None = None, rounds: int | None = None, keep: bool = False
) -> dict[str, Any]:
    sizes = sizes or ([60_000] if quick else [1_000_000, 10_000_000, 50_000_000])
    rounds = rounds or (1 if quick else ROUNDS)
    per_day = 20_000 if quick else EVENTS_PER_WEEKDAY
    target = SYNC_EVENTS * per_day // EVENTS_PER_WEEKDAY
    with harness.Emulator(profile="clean", events_per_day=per_day, cache_days=6, seed=13) as emulator:
        latest = datetime.now(UTC).replace(second=0, microsecond=0) - ARRIVAL_MARGIN - DEFAULT_LAG
        boundaries = sync_boundaries(emulator, latest, target, rounds)
        print(f"scale: {sizes}, {rounds} syncs of about {target:,} events from {boundaries[0]}", flush=True)
        results = [measure_size(emulator, size, boundaries=boundaries, keep=keep) for size in sizes]
    smallest, largest = results[0], results[-1]
    ratio = largest["seconds_median"] / smallest["seconds_median"]
    peaks = [r["sync_peak_rss_mb_max"] for r in results]
    spread = max(peaks) / min(peaks) - 1
    return {
        "sizes": sizes,
        "rounds": rounds,
        "sync_ends": [b.isoformat() for b in boundaries],
        "events_per_weekday": per_day,
        "results": results,
        "largest_seconds": largest["seconds_median"],
        "ratio_largest_to_smallest": round(ratio, 2),
        "sync_peak_rss_spread": round(spread, 3),
        "exact": all(r["exact"] for r in results),
        "met": (
            largest["seconds_median"] <= GOAL_SECONDS
            and ratio <= GOAL_RATIO
            and max(peaks) < GOAL_RSS_MB
            and spread <= GOAL_RSS_SPREAD
        ),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size, one round (a smoke test)")
    parser.add_argument("--sizes", help="comma list of warehouse sizes (default 1M,10M,50M)")
    parser.add_argument("--rounds", type=int, help=f"syncs measured per size (default {ROUNDS})")
    parser.add_argument("--keep", action="store_true", help="keep the warehouses (bench/.work/scale/)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    result = run(quick=args.quick, sizes=sizes, rounds=args.rounds, keep=args.keep)
    path = harness.write_result("sync_at_scale", result, quick=args.quick)
    for r in result["results"]:
        print(
            f"scale {r['rows']:,} rows: sync + transforms {r['seconds_median']:.1f} s (sync "
            f"{r['sync_s_median']:.1f}, transforms {r['transforms_s_median']:.1f}), sync peak "
            f"{r['sync_peak_rss_mb_max']:,} MB, round peak {r['round_peak_rss_mb_max']:,.0f} MB, "
            f"{r['file_mb']:,} MB file, exact {r['exact']}; dbt's import {r['dbt_import_s']:.1f} s, "
            f"transforms after one new event {r['transforms_one_event_s']:.1f} s"
        )
    print(f"ratio {result['ratio_largest_to_smallest']:.2f}, goals met: {result['met']} -> {path}")
    return result


if __name__ == "__main__":
    main()
