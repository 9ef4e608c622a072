"""Run every benchmark in order and print the README's table (throughput, memory, transforms, noise).

    .venv/bin/python -m bench                  # all of them, full size (about 15 minutes)
    .venv/bin/python -m bench --quick          # about 10x smaller: a smoke run, no results overwritten
    .venv/bin/python -m bench --only local,api_bound

Full runs write `bench/results/<benchmark>.json`, `summary.json` and `summary.md`; `--quick` writes
the same under `bench/.work/quick/` (git-ignored) so a smoke run never replaces measured numbers.
The summary also shows earlier results of benchmarks not run this time, with their dates.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench import harness


@dataclass(frozen=True)
class Benchmark:
    name: str
    module: str
    result_file: str
    """Its JSON under the results folder."""
    script_args: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    """(full, quick) command-line arguments for a script run as `python -m bench.<module>` (the
    helpers' benchmarks have their own CLIs); None for ours, called in-process through `run`."""


BENCHMARKS = (
    Benchmark(
        "emulator",
        "emulator_throughput",
        "emulator_throughput.json",
        ((), ("--events-per-day", "25000", "--days", "2", "--runs", "1")),
    ),
    Benchmark("local", "pipeline_local", "pipeline_local.json"),
    Benchmark("api_bound", "pipeline_api_bound", "pipeline_api_bound.json"),
    Benchmark("newest_first", "backfill_newest_first", "backfill_newest_first.json"),
    Benchmark("memory", "pipeline_memory", "pipeline_memory.json"),
    Benchmark(
        "transforms",
        "transforms_rebuild",
        "transforms.json",
        ((), ("--events", "50000", "--repeats", "1")),
    ),
    Benchmark("detections", "detections_noise", "detections_noise.json"),
    Benchmark("freshness", "stream_freshness", "stream_freshness.json"),
    Benchmark("report", "report_render", "report_render.json"),
    Benchmark("scale", "sync_at_scale", "sync_at_scale.json"),
    Benchmark("spark", "spark_models", "spark_models.json"),
)


def run_benchmark(bench: Benchmark, *, quick: bool) -> dict[str, Any] | None:
    """Run one benchmark; its result, or None when its module is not there (yet)."""
    if not (harness.BENCH / f"{bench.module}.py").exists():
        print(f"## {bench.name}: bench/{bench.module}.py is missing, skipped")
        return None
    print(f"## {bench.name}", flush=True)
    if bench.script_args is None:
        result = importlib.import_module(f"bench.{bench.module}").run(quick=quick)
        return json.loads(harness.write_result(bench.module, result, quick=quick).read_text())
    return _run_script(bench, quick=quick)


def _run_script(bench: Benchmark, *, quick: bool) -> dict[str, Any]:
    """A helper's script writes its own `bench/results/<file>`; in quick mode its full result is
    put back afterwards and the quick one moved under `bench/.work/quick/`."""
    official = harness.RESULTS / bench.result_file
    saved = official.read_bytes() if quick and official.exists() else None
    full_args, quick_args = bench.script_args or ((), ())
    args = quick_args if quick else full_args
    subprocess.run([sys.executable, "-m", f"bench.{bench.module}", *args], cwd=harness.ROOT, check=True)
    result = json.loads(official.read_text())
    if quick:
        harness.QUICK_RESULTS.mkdir(parents=True, exist_ok=True)
        shutil.move(official, harness.QUICK_RESULTS / bench.result_file)
        if saved is not None:
            official.write_bytes(saved)
    return result


# ---------------------------------------------------------------------- the table
def _n(value: float) -> str:
    return f"{value:,.0f}"


def _pct(value: float) -> str:
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


def _ok(met: bool) -> str:
    return "yes" if met else "**no**"


Row = tuple[str, str, str, str]
"""(what, measured, goal, met)"""


def _rows_local(r: dict[str, Any]) -> list[Row]:
    steps = r["pipeline_step_seconds_median"]
    runs = f"median of {r['runs']}"
    split = (
        f"extract {steps['extract']:.1f} s, normalize {steps['normalize']:.1f} s, load {steps['load']:.1f} s"
    )
    floor = (
        f"{r['floor_seconds_median']:.1f} s for {_n(r['events'])} events (fetch "
        f"{r['floor_fetch_seconds_median']:.1f} s + `read_json` "
        f"{r['floor_read_json_seconds_median']:.1f} s, {runs})"
    )
    rate = f"{_n(r['pipeline_events_per_s'])} events/s"
    pipeline = f"{r['pipeline_seconds_median']:.1f} s ({rate}, {runs}; {split})"
    core = r["core_seconds_median"]
    cores = (
        f"pipeline {core['pipeline']:.0f} core-s (+ emulator {core['pipeline_emulator']:.0f}); floor "
        f"{core['floor_fetch_client'] + core['floor_read_json']:.0f} "
        f"(+ emulator {core['floor_fetch_emulator']:.0f})"
    )
    return [
        ("1. Local: the fair floor (plain client fetch + DuckDB `read_json`)", floor, "", ""),
        ("1. Local: pipeline end to end, same events, same run", pipeline, "", ""),
        ("1. Local: pipeline / floor", f"{r['ratio']:.2f}x ({cores})", "≤ 1.3x", _ok(r["met"])),
        ("1. Local: pipeline peak RSS", f"{_n(r['pipeline_peak_rss_mb_median'])} MB", "", ""),
    ]


def _rows_api_bound(r: dict[str, Any]) -> list[Row]:
    low, high = r["latency_ms"]
    used = (
        f"{_n(r['achieved_requests_per_minute'])}/min = {_pct(r['share_of_limit'])} of Box's "
        f"{_n(r['rate_limit_per_minute'])}, {_pct(r['share_of_configured_limit'])} of the configured "
        f"{_n(r['client_requests_per_minute'])} ({r['days']} days × {_n(r['events_per_day'])} events, "
        f"{low}-{high} ms a page; client limit {_n(r['client_requests_per_minute'])}/min, concurrency "
        f"{r['concurrency']}; {r['requests_sent']} requests in {r['first_to_last_request_s']:.0f} s)"
    )
    throttled = f"{r['answered_429']} of {r['requests_seen_by_emulator']} ({_pct(r['share_429'])})"
    exact = (
        f"{'exact' if r['exact'] else 'NOT exact'} ({_n(r['events'])} ids; missing {r['missing']}, "
        f"unexpected {r['unexpected']}, duplicates {r['duplicates']})"
    )
    year = r["year_estimate"]
    estimate = (
        f"{year['minutes_at_measured_rate']:.0f} min at the measured rate; the API's floor "
        f"{year['minutes_at_api_floor']:.1f} min ({_n(year['requests'])} requests at 1,000/min)"
    )
    return [
        ("2. API-bound: requests/min used", used, "≥ 95%", _ok(r["share_of_configured_limit"] >= 0.95)),
        ("2. API-bound: answered 429", throttled, "< 1%", _ok(r["share_429"] < 0.01)),
        ("2. API-bound: exact against the oracle", exact, "exact", _ok(r["exact"])),
        ("5. A year: 365 days, 10M events", estimate, "", ""),
    ]


def _rows_newest_first(r: dict[str, Any]) -> list[Row]:
    estimate = r["oldest_first_estimate"]
    low, high = r["latency_ms"]
    measured = (
        f"{r['queryable_s']:.0f} s ({_n(r['last_day_events'])} events of the last 24 h in the staging "
        f"model, {'exact' if r['last_day_exact'] else 'NOT exact'}; first checkpoint committed at "
        f"{r['first_checkpoint_committed_s']:.0f} s, transforms {r['first_transforms_s']:.0f} s; "
        f"{r['days']} days planned, {_n(r['events_per_weekday'])} events a weekday, {low}-{high} ms a "
        f"page, {_n(r['rate_limit_per_minute'])}/min)"
    )
    oldest = (
        f"about {estimate['queryable_minutes']:.0f} min (estimated: {_n(estimate['requests'])} requests "
        f"at the measured {_n(r['requests_per_minute_after_transforms'])}/min, then a full build of "
        f"{estimate['transforms_full_build_s'] or 0:.0f} s over 10M events)"
        if estimate["queryable_minutes"] is not None
        else "not estimated (no rate measured)"
    )
    return [
        ("10. Newest first: last 24 h queryable", measured, "≤ 60 s", _ok(r["met"])),
        ("10. Oldest first: last 24 h queryable", oldest, "", ""),
    ]


def _rows_memory(r: dict[str, Any]) -> list[Row]:
    small, large = r["small"], r["large"]
    met = max(small["peak_rss_mb"], large["peak_rss_mb"]) < 1024 and abs(r["peak_rss_ratio"] - 1) <= 0.2
    measured = (
        f"{_n(small['peak_rss_mb'])} MB at {_n(small['events'])} events, {_n(large['peak_rss_mb'])} MB "
        f"at {_n(large['events'])} (ratio {r['peak_rss_ratio']:.2f}; one run each)"
    )
    return [("3. Memory: pipeline peak RSS", measured, "< 1 GB, within 20%", _ok(met))]


def _rows_transforms(r: dict[str, Any]) -> list[Row]:
    measured = (
        f"{_pct(r['ratio'])} ({r['incremental_median_s']:.2f} s after a {_n(r['sync_events'])}-event "
        f"sync vs {r['full_rebuild_median_s']:.1f} s for a full build over {_n(r['raw_events'])} events)"
    )
    return [("4. Transforms: after a sync / full rebuild", measured, "< 10%", _ok(r["ratio"] < 0.1))]


def _rows_emulator(r: dict[str, Any]) -> list[Row]:
    met = r["events_per_s"] >= 100_000
    return [("Emulator: one client paging", f"{_n(r['events_per_s'])} events/s", "≥ 100,000", _ok(met))]


def _rows_detections(r: dict[str, Any]) -> list[Row]:
    met = r["noise_high_or_critical_per_day_max"] <= 1 and not r["planted_missed"]
    measured = (
        f"high or critical not planted: {r['noise_high_or_critical_per_day_mean']} a day, at most "
        f"{r['noise_high_or_critical_per_day_max']}; planted found {r['planted_found']} of {r['planted']}; "
        f"all findings {r['findings_per_day_mean']} a day ({_n(r['users'])} users, {r['days']} days)"
    )
    return [("6. Detections: noise", measured, "≤ 1 a day, all found", _ok(met))]


def _rows_freshness(r: dict[str, Any]) -> list[Row]:
    measured = (
        f"p50 {r['latency_p50_s']} s, p95 {r['latency_p95_s']} s beyond the lane's buffer "
        f"({_n(r['events_measured'])} events, {_n(r['events_per_day'])} a day, {r['profile']} profile, "
        f"{r['follow_seconds'] // 60} min following at the default 10 s interval)"
    )
    idle = (
        f"{r['idle_calls_per_hour']} calls/hour ({r['idle_calls']} in the last {r['idle_window_seconds']} s)"
    )
    return [
        ("7. Live lane: arrival to readable in DuckDB", measured, "p95 ≤ 30 s", _ok(r["met"])),
        ("7. Live lane: API calls when idle", idle, "", ""),
    ]


def _rows_report(r: dict[str, Any]) -> list[Row]:
    parts = r["parts_s"]
    measured = (
        f"{r['median_s']:.1f} s, median of {r['runs']} ({_n(r['raw_events'])} raw events, "
        f"{_n(r['events_in_report'])} in the last {r['days']} days; status {parts['status']:.1f} s, "
        f"queries {parts['queries']:.1f} s, page {parts['render']:.1f} s; "
        f"{r['page_bytes'] / 2**20:.1f} MB, plotly.js inlined)"
    )
    return [("8. Report: `write_report`, 30 days over 10M events", measured, "≤ 15 s", _ok(r["met"]))]


def _rows_spark(r: dict[str, Any]) -> list[Row]:
    measured = (
        f"{r['identical']} of {r['compared']} models identical ({_n(r['events'])} events); dbt build "
        f"{r['spark_build_s']:.0f} s on Spark local[2] vs {r['duckdb_transform_s']:.0f} s on DuckDB"
    )
    return [("9. Spark: the dbt models, rows vs DuckDB", measured, "all identical", _ok(not r["differing"]))]


def _rows_scale(r: dict[str, Any]) -> list[Row]:
    sizes = r["results"]
    timing = "; ".join(
        f"{_n(s['rows'])} rows: {s['seconds_median']:.1f} s (sync {s['sync_s_median']:.1f} s + transforms "
        f"{s['transforms_s_median']:.1f} s, {_n(s['events_new_median'])} new events; "
        f"file {_n(s['file_mb'])} MB)"
        for s in sizes
    )
    peaks = "; ".join(f"{_n(s['sync_peak_rss_mb_max'])} MB at {_n(s['rows'])} rows" for s in sizes)
    fast = sizes[-1]["seconds_median"] <= 10 and r["ratio_largest_to_smallest"] <= 2
    flat = max(s["sync_peak_rss_mb_max"] for s in sizes) < 1024 and r["sync_peak_rss_spread"] <= 0.2
    return [
        (
            "11. Scale: sync of 10,000 events + incremental transforms",
            f"{timing}; largest / smallest {r['ratio_largest_to_smallest']:.2f}",
            "≤ 10 s at 50M, ≤ 2x the 1M figure",
            _ok(fast),
        ),
        (
            "11. Scale: the sync's peak RSS",
            f"{peaks} (spread {_pct(r['sync_peak_rss_spread'])})",
            "< 1 GB, within 20%",
            _ok(flat),
        ),
    ]


ROWS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "emulator": _rows_emulator,
    "local": _rows_local,
    "api_bound": _rows_api_bound,
    "newest_first": _rows_newest_first,
    "memory": _rows_memory,
    "transforms": _rows_transforms,
    "detections": _rows_detections,
    "freshness": _rows_freshness,
    "report": _rows_report,
    "scale": _rows_scale,
    "spark": _rows_spark,
}


def summary_markdown(results: dict[str, dict[str, Any]], machine: dict[str, Any], command: str) -> str:
    v = machine["versions"]
    lines = [
        f"Measured with `{command}` on {machine['nproc']} cores ({machine['cpu']}), "
        f"{machine['memory_gib']:.0f} GiB, {machine['os']}; Python {v['python']}, dlt {v['dlt']}, "
        f"DuckDB {v['duckdb']}, pyarrow {v['pyarrow']}, msgspec {v['msgspec']}.",
        "",
        "| benchmark | measured | goal | met |",
        "|---|---|---|---|",
    ]
    for bench in BENCHMARKS:
        result = results.get(bench.name)
        if result is None:
            continue
        try:
            rows = ROWS[bench.name](result)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:  # a helper changed its JSON
            rows = [(bench.name, f"see bench/results/{bench.result_file} (unreadable here: {exc!r})", "", "")]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    dates = sorted({r.get("measured_at", "?")[:10] for r in results.values()})
    commits = sorted({r["code"] for r in results.values() if r.get("code")})
    at = f" at commit {', '.join(commits)}" if commits else ""
    lines += ["", f"Measured {', '.join(dates)}{at}; the benchmarks and their setup: `bench/`."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 10x smaller, for a smoke run")
    names = ", ".join(b.name for b in BENCHMARKS)
    parser.add_argument("--only", help=f"comma list of benchmarks to run ({names})")
    args = parser.parse_args(argv)
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only.split(",")]
    unknown = set(args.only.split(",")) - {b.name for b in BENCHMARKS} if args.only else set()
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {names}")
    command = " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])])
    folder = harness.QUICK_RESULTS if args.quick else harness.RESULTS
    machine = harness.machine()

    started = time.monotonic()
    results: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    for bench in chosen:
        try:
            began = time.monotonic()
            result = run_benchmark(bench, quick=args.quick)
            print(f"## {bench.name}: {time.monotonic() - began:.0f} s", flush=True)
        except Exception as exc:  # report it, run the others, exit non-zero at the end
            print(f"## {bench.name} FAILED: {exc!r}", file=sys.stderr, flush=True)
            failed.append(bench.name)
            continue
        if result is not None:
            results[bench.name] = result
    for bench in BENCHMARKS:  # earlier results of the ones not run now
        path = folder / bench.result_file
        if bench.name not in results and path.exists():
            results[bench.name] = json.loads(path.read_text())

    markdown = summary_markdown(results, machine, command)
    folder.mkdir(parents=True, exist_ok=True)
    summary = {"command": command, "quick": args.quick, "machine": machine, "results": results}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    (folder / "summary.md").write_text(markdown)
    print(f"\n{markdown}\n(all benchmarks: {time.monotonic() - started:.0f} s; {folder / 'summary.md'})")
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
