"""Benchmark: a full transform build over N raw events vs. the build after a 10,000-event sync.

The goals (SQL-layer issue): over 10M raw events, the `dbt build` after a 10,000-event sync takes at
most 10% of a full build and at most 15 s, dbt's start-up included (the custom runner it replaced took
67.0 s and 1.29 s). The warehouse is made the way production makes it: the real
pipeline backfills one hour from the emulator (so `admin_logs` has the contract's exact columns
and types), then DuckDB SQL appends N synthetic Box-shaped events spread over a year, with the
emulator's event-type mix and per-family `source` / `additional_details` shapes. Each
incremental round appends 10,000 events over the last two days under a new `_dlt_load_id`, as a
sync does, and runs `run_transforms` (which rebuilds only the touched days).

    .venv/bin/python bench/transforms_rebuild.py                 # 10M events (minutes)
    .venv/bin/python bench/transforms_rebuild.py --events 1000000

Prints the medians and their ratio; writes `bench/results/transforms.json`.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from box_emulator.event_types import EVENT_TYPE_SPECS
from box_emulator.testing import running_emulator
from pipelines import jobs
from transforms import run_transforms

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "transforms.json"
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
SLOTS = 10_000  # event types are drawn by hashing each row into this many weighted slots

# One synthetic event per row `i`: the type from the weighted slots, the time spread evenly over
# [start, start + span), a user from 300, the JSON shaped by the type's family (generator.py).
SYNTHETIC_EVENTS = r"""
insert into box_events.admin_logs by name
with rows as (
    select
        r.i,
        s.event_type,
        s.family,
        to_timestamp({start_epoch} + (r.i - {first}) * {step}) as created_at,
        hash(r.i * 3) % 300 as u,
        s.family = 'content' and hash(r.i * 5) % 100 < 2 as anonymous
    from range({first}, {first} + {count}) as r(i)
    join bench_slots as s on s.slot = hash(r.i) % {slots}
),
people as (
    select
        *,
        case when anonymous then '2' else cast(10000000 + u as varchar) end as actor_id,
        case when anonymous then 'Unknown User' else 'User ' || u end as actor_name,
        case when anonymous then '' else 'user' || u || '@example.com' end as actor_login,
        json_object(
            'item_type', 'file', 'item_id', cast(100000000000 + i % 50000 as varchar),
            'item_name', 'document-' || (i % 50000) || '.pdf',
            'parent', json_object('type', 'folder', 'id', cast(200000000 + i % 900 as varchar),
                                  'name', 'Folder ' || (i % 900)),
            'owned_by', json_object('type', 'user', 'id', cast(10000000 + i % 300 as varchar),
                                    'name', 'User ' || (i % 300),
                                    'login', 'user' || (i % 300) || '@example.com')
        ) as item
    from rows
)
select
    -- random-looking like Box's: ids that sort by when they were made would let DuckDB skip most
    -- of a table by min/max when it looks ids up, which real ids never allow
    regexp_replace(md5('{run}:' || i), '^(.{{8}})(.{{4}})(.{{4}})(.{{4}})', '\1-\2-\3-\4-') as event_id,
    event_type,
    created_at,
    actor_id as created_by_id,
    actor_name as created_by_name,
    actor_login as created_by_login,
    '10.' || (u % 200) || '.' || (i % 2) || '.7' as ip_address,
    null as session_id,
    'event' as type,
    json_object('type', 'user', 'id', actor_id, 'name', actor_name, 'login', actor_login)
        as created_by,
    case when family in ('authentication', 'users', 'apps') then json_object(
        'type', 'user', 'id', actor_id, 'name', actor_name, 'login', actor_login)
        when family = 'groups' then json_object('type', 'group', 'id', '77' || (i % 40),
                                                'name', 'Group ' || (i % 40))
        when family = 'shield_alert' then null
        else item end as source,
    case family
        when 'content' then json_object('size', i % 9000000, 'version_id', cast(i as varchar),
                                        'service_id', '331', 'service_name', 'Box Web App')
        when 'sharing' then json_object('shared_link_id', printf('%08x', i),
                                        'shared_link_access', 'company',
                                        'shared_link_expires_at', null,
                                        'service_name', 'Box Web App')
        when 'collaboration' then json_object('collab_id', cast(i as varchar), 'role', 'editor',
                                              'is_performed_by_admin', false)
        when 'authentication' then case when event_type = 'FAILED_LOGIN'
            then json_object('failure_reason', 'Invalid password') end
        when 'shield_alert' then json_object('shield_alert', json_object(
            'rule_category', 'Anomalous Download', 'rule_name', 'Download spike',
            'risk_score', 50, 'alert_id', cast(i as varchar), 'priority', 'low',
            'user', json_object('id', actor_id, 'name', actor_name, 'login', actor_login),
            'alert_summary', json_object('description', 'Download spike')))
        else json_object('policy_id', cast(i % 1000 as varchar), 'policy_name', 'Policy')
    end as additional_details,
    null as action_by,
    case when family = 'collaboration' then json_object(
        'type', 'user', 'id', cast(10000000 + (u + 1) % 300 as varchar),
        'name', 'User ' || ((u + 1) % 300), 'login', 'user' || ((u + 1) % 300) || '@example.com')
    end as accessible_by,
    null as extra,
    'admin_logs' as first_lane,
    created_at + interval 1 day as first_seen_at,
    '{load_id}' as _dlt_load_id
from people
"""


def _slots_table(con: duckdb.DuckDBPyConnection) -> int:
    """The emulator's mix as about SLOTS weighted slots (every type gets at least one)."""
    specs = list(EVENT_TYPE_SPECS.values())
    total = sum(s.weight for s in specs)
    rows: list[tuple[int, str, str]] = []
    for spec in specs:
        for _ in range(max(1, round(spec.weight / total * SLOTS))):
            rows.append((len(rows), spec.name, spec.family))
    con.execute("create or replace temp table bench_slots (slot ubigint, event_type varchar, family varchar)")
    con.executemany("insert into bench_slots values (?, ?, ?)", rows)
    return len(rows)


def append_synthetic(path: Path, *, run: int, first: int, count: int, start: datetime, span: timedelta,
            load_id: str) -> float:  # fmt: skip
    """Append `count` synthetic events to admin_logs under `load_id`, recorded as a completed load;
    returns seconds taken. Other benchmarks build their warehouses with it too."""
    started = time.perf_counter()
    with duckdb.connect(str(path)) as con:
        slots = _slots_table(con)
        # a load dlt recorded as complete: the SQL layer reads only those
        con.execute(
            "insert into box_events._dlt_loads (load_id, schema_name, status, inserted_at, "
            "schema_version_hash) select ?, schema_name, 0, current_timestamp, schema_version_hash "
            "from box_events._dlt_loads limit 1",
            [load_id],
        )
        con.execute(
            SYNTHETIC_EVENTS.format(
                start_epoch=start.timestamp(),
                first=first,
                count=count,
                step=span.total_seconds() / max(count, 1),
                slots=slots,
                run=run,
                load_id=load_id,
            )
        )
    return time.perf_counter() - started


def _fresh_warehouse(workdir: Path) -> Any:
    """A pipeline whose dataset the real chain created (one hour backfilled from the emulator)."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    pipeline = jobs.make_pipeline(duckdb_path=workdir / "bench.duckdb", pipelines_dir=workdir / "pipelines")
    with running_emulator(now=NOW, seed=1, events_per_day=2000) as (emu, srv):
        api = jobs.ApiOptions(
            api_base_url=srv.api_base_url,
            token_url=srv.token_url,
            credentials={"developer_token": emu.config.developer_token},
            requests_per_minute=60_000,
        )
        jobs.backfill(pipeline, start=NOW - timedelta(hours=25), end=NOW - timedelta(hours=24),
                      api=api, now=NOW)  # fmt: skip
    return pipeline


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000, help="raw events (default 10M)")
    parser.add_argument("--sync-events", type=int, default=10_000, help="events per sync")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each kind")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".work" / "transforms")
    args = parser.parse_args(argv)

    pipeline = _fresh_warehouse(args.workdir)
    path = args.workdir / "bench.duckdb"
    base_load = "1000000000.000001"  # older than any real load: processed by the first full build
    generate = append_synthetic(path, run=0, first=0, count=args.events, start=NOW - timedelta(days=366),
                       span=timedelta(days=364), load_id=base_load)  # fmt: skip
    print(f"generated {args.events:,} raw events in {generate:.1f}s")

    full: list[float] = []
    for _ in range(args.repeats):
        report = run_transforms(pipeline, full_rebuild=True)
        full.append(report.seconds)
        print(f"full rebuild: {report.seconds:.2f}s")
    print(report)

    incremental: list[float] = []
    for round_ in range(1, args.repeats + 1):
        load_id = f"{time.time():.6f}"
        append_synthetic(
            path,
            run=round_,
            first=0,
            count=args.sync_events,
            start=NOW - timedelta(days=2),
            span=timedelta(days=2),
            load_id=load_id,
        )
        report = run_transforms(pipeline)
        assert report.mode == "incremental", report
        incremental.append(report.seconds)
        print(f"after a {args.sync_events:,}-event sync: {report.seconds:.2f}s ({len(report.days)} days)")
    print(report)

    result = {
        "benchmark": "transforms_rebuild",
        "raw_events": args.events,
        "sync_events": args.sync_events,
        "repeats": args.repeats,
        "full_rebuild_s": full,
        "incremental_s": incremental,
        "full_rebuild_median_s": statistics.median(full),
        "incremental_median_s": statistics.median(incremental),
        "ratio": statistics.median(incremental) / statistics.median(full),
        "days_rebuilt": len(report.days),
        "slowest_incremental_models": sorted(
            ((run.name, round(run.seconds, 3)) for run in report.models if run.action != "skipped"),
            key=lambda item: -item[1],
        )[:5],
        "machine": f"{platform.machine()}, {platform.python_version()}, duckdb {duckdb.__version__}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"full rebuild median {result['full_rebuild_median_s']:.2f}s, after a sync "
        f"{result['incremental_median_s']:.2f}s: ratio {result['ratio']:.1%} (goal < 10%)"
    )
    return result


if __name__ == "__main__":
    main()
