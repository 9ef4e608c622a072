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
from typing import Any

import httpx

from box_emulator import Emulator, EmulatorConfig, EmulatorServer

from . import jobs, status
from .box_events import ledger
from .box_events.exceptions import ConfigurationError
from .box_events.settings import DATASET_NAME
from .progress import WindowProgress
from .warehouse import Warehouse, command_line, write_lock


def run_demo(
    *,
    days: int,
    duckdb_path: Path | None,
    volume: int,
    echo: Callable[[str], None],
    wait_s: float | None = None,
) -> None:
    """The demo writes the default warehouse (`box_audit.duckdb`), so `boxevents status` and
    `boxevents query` find it afterwards with no flag; it refuses a warehouse that holds events
    from a real Box, so emulated events never mix with an enterprise's own."""
    warehouse = Warehouse.resolve("duckdb", DATASET_NAME, duckdb_path)
    warehouse.check_folder()
    with write_lock(warehouse, command_line(), wait_s=wait_s):
        pipeline = jobs.make_pipeline(duckdb_path=warehouse.duckdb_path)
        _refuse_real_warehouse(pipeline, warehouse)
        config = EmulatorConfig(seed=42, events_per_day=volume, profile="realistic")
        with EmulatorServer(Emulator(config), host="127.0.0.1", port=0) as server:
            echo(
                f"Box Events API emulator at {server.api_base_url} (profile realistic, {volume:,} events/day)"
            )
            api = jobs.ApiOptions(
                api_base_url=server.api_base_url,
                token_url=server.token_url,
                credentials={
                    "client_id": config.client_id,
                    "client_secret": config.client_secret,
                    "enterprise_id": config.enterprise_id,
                },
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
    shown = "" if duckdb_path is None else f" --duckdb-path {duckdb_path}"
    echo(f"Your audit warehouse: {warehouse.duckdb_path} (dataset {DATASET_NAME}). Try:")
    echo(f"  .venv/bin/boxevents status{shown}")
    echo(
        f"  .venv/bin/boxevents query{shown} "
        '"SELECT rule_id, severity, COUNT(*) AS n FROM box_events.detections GROUP BY ALL ORDER BY n DESC"'
    )


def _refuse_real_warehouse(pipeline: Any, warehouse: Warehouse) -> None:
    """Every run recorded in the warehouse must have read from an emulator on this machine."""
    sources = ledger.api_sources(pipeline)
    foreign = sorted(url for url in sources if not _is_loopback(url))
    if foreign:
        raise ConfigurationError(
            f"{warehouse} holds events loaded from {foreign[0]}, not from the emulator: the demo will "
            "not mix emulated events into it; pass --duckdb-path demo.duckdb"
        )


def _is_loopback(url: str | None) -> bool:
    if url is None:  # a run recorded before sources were: not the demo's
        return False
    host = httpx.URL(url).host
    return host in ("localhost", "::1") or host.startswith("127.")
