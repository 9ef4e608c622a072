"""A backfill killed with SIGKILL mid-run resumes from the ledger and ends exact."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from box_emulator import SystemClock
from box_emulator.testing import running_emulator

BOXEVENTS = str(Path(sys.executable).with_name("boxevents"))


def _env(srv, config, pipelines_dir: Path, duckdb_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SOURCES__BOX_EVENTS__API_BASE_URL": srv.api_base_url,
        "SOURCES__BOX_EVENTS__TOKEN_URL": srv.token_url,
        "SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN": config.developer_token,
        "DESTINATION__DUCKDB__CREDENTIALS": str(duckdb_path),
    }


def _loaded_packages(pipelines_dir: Path) -> int:
    return len(list(pipelines_dir.glob("*/load/loaded/*")))


def test_backfill_killed_mid_run_resumes_without_rereading_completed_windows(warehouse, assert_exact):
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now - timedelta(days=25)).replace(hour=0, minute=0, second=0)
    end = start + timedelta(days=20)
    args = [
        BOXEVENTS,
        "backfill",
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--no-transform",
        "--pipelines-dir",
        str(warehouse.pipelines_dir),
    ]
    with running_emulator(clock=SystemClock(), events_per_day=3000) as (emu, srv):
        env = _env(srv, emu.config, warehouse.pipelines_dir, warehouse.path)
        slow = subprocess.Popen(
            [*args, "--windows-per-run", "2", "--requests-per-minute", "900", "--concurrency", "2"],
            env=env,
            cwd=warehouse.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while _loaded_packages(warehouse.pipelines_dir) < 2 and time.monotonic() < deadline:
            assert slow.poll() is None, slow.stdout.read().decode()
            time.sleep(0.05)
        time.sleep(0.7)  # well inside the next run: mid-extract or mid-load
        slow.send_signal(signal.SIGKILL)
        slow.wait()
        committed_before = {row[:2] for row in warehouse.ledger()}
        assert 0 < len(committed_before) < 20, "the kill should land mid-backfill"

        resumed = subprocess.run(
            args, env=env, cwd=warehouse.root, capture_output=True, text=True, timeout=300
        )
        assert resumed.returncode == 0, resumed.stderr
        skipped = int(re.search(r"(\d+) already covered", resumed.stdout).group(1))
        assert skipped >= len(committed_before)
        assert_exact(warehouse, emu.oracle.event_ids(start, end))

    windows = [row[:2] for row in warehouse.ledger()]
    assert len(windows) == len(set(windows)) == 20, "a completed window was read twice"
