"""`boxevents demo`: the whole product on the bundled emulator, in a couple of minutes.

Starts the emulator (realistic profile: Box's rate limit, latency, short pages, expiring tokens) on
127.0.0.1, backfills a year at the default volume into a DuckDB file with Client Credentials, syncs,
builds the audit tables, and prints the status. Run it twice: the second backfill resumes from the
ledger and reads nothing it already has.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from box_emulator import Emulator, EmulatorConfig, EmulatorServer

from . import jobs, status
from .progress import WindowProgress


def run_demo(*, days: int, duckdb_path: Path, volume: int, echo: Callable[[str], None]) -> None:
    config = EmulatorConfig(seed=42, events_per_day=volume, profile="realistic")
    with EmulatorServer(Emulator(config), host="127.0.0.1", port=0) as server:
        echo(f"Box Events API emulator at {server.api_base_url} (profile realistic, {volume:,} events/day)")
        api = jobs.ApiOptions(
            api_base_url=server.api_base_url,
            token_url=server.token_url,
            credentials={
                "client_id": config.client_id,
                "client_secret": config.client_secret,
                "enterprise_id": config.enterprise_id,
            },
        )
        pipeline = jobs.make_pipeline(
            duckdb_path=duckdb_path, pipelines_dir=duckdb_path.with_suffix(".pipelines")
        )
        with WindowProgress(f"backfill {days}d") as progress:
            report = jobs.backfill(
                pipeline,
                start=f"{days}d",
                end="now",
                api=api,
                on_plan=progress.on_plan,
                on_window=progress.on_window,
            )
        echo(report.summary())
        report = jobs.sync(pipeline, api=api, lag=timedelta(minutes=2))
        echo(report.summary())
        from transforms import run_transforms

        echo(str(run_transforms(pipeline)))
        echo("")
        echo("\n".join(status.status(pipeline).lines(top=10)))
        echo("")
        echo(f"Your audit warehouse: {duckdb_path} (dataset box_events). Try:")
        echo(
            f"  .venv/bin/boxevents query --duckdb-path {duckdb_path} "
            '"SELECT detection, severity, COUNT(*) AS n FROM box_events.detections GROUP BY ALL"'
        )
