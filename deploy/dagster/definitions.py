"""Dagster assets around the product's jobs: `box_admin_logs` (what `boxevents sync --no-transform`
does) and `box_audit_tables` (what `boxevents transform` does), one job over both, every 15 minutes.

Why plain assets and not dagster-dlt / dagster-dbt: the jobs already own what matters (the ledger of
windows read, the dedup, resuming after a kill, the incremental dbt build); Dagster only schedules
them and records what each run did. Each asset holds the warehouse's lock (`jobs.writing`) exactly
as the command line does, so a Dagster run and a cron or systemd `boxevents sync` never write at once.

Configuration is the product's own, nothing here: dlt's `.dlt/config.toml` and `.dlt/secrets.toml`
in the folder Dagster runs from, or the environment (`SOURCES__BOX_EVENTS__CREDENTIALS__CLIENT_ID`,
`__CLIENT_SECRET`, `__ENTERPRISE_ID`, `DESTINATION__DUCKDB__CREDENTIALS`, `TRANSFORMS__…`; see the
README's Configuration section).

    dagster asset materialize -f deploy/dagster/definitions.py --select '*'
    dagster dev -f deploy/dagster/definitions.py   # the UI, with the schedule running
"""

# no `from __future__ import annotations`: Dagster reads the `context` annotation when it defines an asset
from datetime import timedelta

from dagster import (
    AssetExecutionContext,
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    MaterializeResult,
    ScheduleDefinition,
    asset,
    define_asset_job,
    in_process_executor,
)

from pipelines import jobs
from pipelines.box_events.settings import SYNC_DUCKDB_MEMORY_LIMIT
from transforms import Tuning, run_transforms

LOCK_WAIT = timedelta(minutes=10)
"""How long an asset waits for another run (a cron sync, a live-lane poll) to let the warehouse go
before it fails naming the holder: the systemd unit's `--wait 10m`, shorter than the schedule."""

EVERY_15_MINUTES = "*/15 * * * *"
"""The systemd timer's and the cron line's rhythm."""


def _holder(context: AssetExecutionContext) -> str:
    """Who holds the lock, as a busy cron or CLI run will print it."""
    return f"dagster run {context.run.run_id[:8]} ({context.asset_key.to_user_string()})"


@asset(
    group_name="box_audit",
    kinds={"dlt", "duckdb"},
    description="Box enterprise events (admin_logs) since the last sync, the settle sweep included; "
    "the first run reads the last day.",
)
def box_admin_logs(context: AssetExecutionContext) -> MaterializeResult:
    wait_s = LOCK_WAIT.total_seconds()
    small_loads = SYNC_DUCKDB_MEMORY_LIMIT  # as `boxevents sync`
    with jobs.writing(wait_s=wait_s, command=_holder(context), duckdb_memory_limit=small_loads) as pipeline:
        report = jobs.sync(pipeline)
    context.log.info(report.summary())
    covered = report.range
    return MaterializeResult(
        metadata={
            "events_new": report.events_new,
            "events_read": report.events,
            "windows": report.windows_loaded,
            "windows_settled": report.windows_settled,
            "checkpoints": report.runs,
            "seconds": round(report.seconds, 3),
            "range_start": covered.start.isoformat() if covered else "",
            "range_end": covered.end.isoformat() if covered else "",
        }
    )


@asset(
    deps=[box_admin_logs],
    group_name="box_audit",
    kinds={"dbt", "duckdb"},
    description="The audit tables, marts and detections (the dbt project in sql/), built incrementally.",
)
def box_audit_tables(context: AssetExecutionContext) -> MaterializeResult:
    wait_s = LOCK_WAIT.total_seconds()
    with jobs.writing(wait_s=wait_s, must_exist=True, command=_holder(context)) as pipeline:
        report = run_transforms(pipeline, tuning=Tuning.from_config())
    context.log.info(str(report))
    built = [run for run in report.models if run.action != "skipped"]
    return MaterializeResult(
        metadata={
            "mode": report.mode,
            "reason": report.reason,
            "models_built": len(built),
            "seconds": round(report.seconds, 3),
            "rows": {run.name: run.rows for run in built if run.rows is not None},
        }
    )


box_audit_job = define_asset_job(
    "box_audit_sync", selection=AssetSelection.assets(box_admin_logs, box_audit_tables)
)

box_audit_schedule = ScheduleDefinition(
    name="box_audit_every_15_minutes",
    job=box_audit_job,
    cron_schedule=EVERY_15_MINUTES,
    execution_timezone="UTC",
    # on as soon as the code location is deployed, like `systemctl enable --now` the timer
    default_status=DefaultScheduleStatus.RUNNING,
)

defs = Definitions(
    assets=[box_admin_logs, box_audit_tables],
    jobs=[box_audit_job],
    schedules=[box_audit_schedule],
    # the two assets run one after the other anyway: one process spares two interpreter start-ups
    executor=in_process_executor,
)
