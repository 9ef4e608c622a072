"""Benchmark: the detection library's noise on a world that looks like an enterprise.

The goal (detections issue): on the emulator's realistic mix for 1,000 users over 30 days, at most 1
high-or-critical finding per day that is not a planted incident, every planted incident found, and
the total findings per day quoted. The world: 1,000 users at about 40,000 events a weekday, partners
who collaborate daily, mobile users, admins on several networks, service accounts with nightly
backups, and no "floor" (the emulator's once-every-ten-days injection of every type, which tests need
and no enterprise has). One incident of each of the 18 planted kinds, one a day from day 10 on (the
history-bound rules need their baseline first). Tuned as a SOC would on its first day: the partner
domains and the service accounts are allow-listed; the company's domains are inferred, not given.

    .venv/bin/python bench/detections_noise.py                 # 1,000 users x 30 days (minutes)
    .venv/bin/python bench/detections_noise.py --days 10 --users 300 --events-per-day 8000

Prints the findings per day and per rule; writes `bench/results/detections_noise.json`.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from box_emulator import SCENARIO_KINDS
from box_emulator.testing import running_emulator
from pipelines import jobs
from transforms import Tuning, run_transforms

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "detections_noise.json"
NOW = datetime(2026, 11, 23, 0, tzinfo=UTC)
HIGH = ("high", "critical")
SEVERITIES = ("critical", "high", "medium", "low", "info")


def run(
    *, days: int = 30, users: int = 1000, events_per_day: int = 40_000, seed: int = 42, quick: bool = False
) -> dict[str, Any]:
    if quick:
        days, users, events_per_day = 16, 200, 2000
    start = NOW - timedelta(days=days)
    first_planted = min(10, days - len(SCENARIO_KINDS)) if not quick else days - 3
    kinds = list(SCENARIO_KINDS) if not quick else ["mass_download", "password_spray", "token_for_new_app"]
    scenarios = [(kind, (start + timedelta(days=first_planted + i)).date()) for i, kind in enumerate(kinds)]
    work = Path(tempfile.mkdtemp(prefix="bench-noise-"))
    try:
        pipeline = jobs.make_pipeline(
            "duckdb",
            duckdb_path=work / "noise.duckdb",
            pipelines_dir=work / "pipelines",
            pipeline_name="noise",
        )
        with running_emulator(
            now=NOW, seed=seed, n_users=users, events_per_day=events_per_day, floor_period_days=0,
            scenarios=scenarios,
        ) as (emu, srv):  # fmt: skip
            api = jobs.ApiOptions(
                api_base_url=srv.api_base_url, token_url=srv.token_url,
                credentials={"developer_token": emu.config.developer_token}, requests_per_minute=600_000,
            )  # fmt: skip
            started = time.perf_counter()
            jobs.backfill(pipeline, start=start, end=NOW, api=api, now=NOW)
            load_seconds = time.perf_counter() - started
            planted = emu.planted(start.date(), (NOW - timedelta(days=1)).date())
            tuning = Tuning.of(
                partner_domains=list(emu.enterprise.partner_domains),
                service_accounts=sorted(emu.enterprise.service_logins),
            )
            events = sum(emu.oracle.counts_by_type(start, NOW).values())
        started = time.perf_counter()
        run_transforms(pipeline, tuning=tuning)
        transform_seconds = time.perf_counter() - started
        with pipeline.sql_client() as client:
            findings = list(
                client.execute_sql(
                    "select rule_id, severity, occurred_on, event_ids, summary from detections"
                )
            )
            domains = [tuple(r) for r in client.execute_sql("select domain, source from company_domains")]
        return _report(findings, planted, days, users, events, domains, load_seconds, transform_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _report(
    findings, planted, days, users, events, domains, load_seconds, transform_seconds
) -> dict[str, Any]:
    planted_ids = {event_id for incident in planted for event_id in incident.event_ids}
    found = {}
    for incident in planted:
        matches = [
            f for f in findings if f[0] == incident.kind and set(incident.event_ids) <= set(f[3].split(","))
        ]
        found[incident.kind] = len(matches) == 1
    noise = [f for f in findings if not set(f[3].split(",")) & planted_ids]
    per_day: dict[date, Counter] = defaultdict(Counter)
    for _, severity, day, _, _ in noise:
        per_day[day][severity in HIGH] += 1
    all_days = [(NOW - timedelta(days=days - i)).date() for i in range(days)]
    high_per_day = [per_day[d][True] for d in all_days]
    total_per_day = [len([f for f in findings if f[2] == d]) for d in all_days]
    return {
        "benchmark": "detections_noise",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "users": users,
        "days": days,
        "events": events,
        "company_domains": domains,
        "planted": len(planted),
        "planted_found": sum(found.values()),
        "planted_missed": sorted(k for k, ok in found.items() if not ok),
        "findings": len(findings),
        "findings_per_day_mean": round(statistics.mean(total_per_day), 1),
        "findings_per_day_max": max(total_per_day),
        "findings_per_day_by_severity": {
            severity: round(n / days, 2)
            for severity, n in sorted(
                Counter(f[1] for f in findings).items(), key=lambda kv: SEVERITIES.index(kv[0])
            )
        },
        "noise_high_or_critical_per_day_mean": round(statistics.mean(high_per_day), 2),
        "noise_high_or_critical_per_day_max": max(high_per_day),
        "noise_high_or_critical": sorted({(str(f[2]), f[0], f[4]) for f in noise if f[1] in HIGH}),
        "noise_by_rule": dict(Counter(f"{f[0]} ({f[1]})" for f in noise).most_common()),
        "load_seconds": round(load_seconds, 1),
        "transform_seconds": round(transform_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--events-per-day", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    result = run(days=args.days, users=args.users, events_per_day=args.events_per_day, seed=args.seed)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")  # `python -m bench` adds its header
    print(
        json.dumps({k: v for k, v in result.items() if k != "noise_high_or_critical"}, indent=2, default=str)
    )
    for row in result["noise_high_or_critical"]:
        print("  high/critical noise:", *row)


if __name__ == "__main__":
    main()
