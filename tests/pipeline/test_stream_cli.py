"""`boxevents stream --follow` as an operator runs it: killed with SIGKILL it resumes exactly, a query
runs while it follows (it lets the DuckDB file go between polls), and SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from tests.conftest import NOW
from tests.pipeline.test_resume import BOXEVENTS, _env


def _loaded_packages(pipelines_dir: Path) -> int:
    return len(list(pipelines_dir.glob("*/load/loaded/*")))


def _wait_for(condition, what: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, f"the follower ended before {what}: {process.stdout.read().decode()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_stream_follow_killed_with_sigkill_resumes_with_nothing_lost_or_doubled(warehouse, assert_exact):
    args = [BOXEVENTS, "stream", "--pipelines-dir", str(warehouse.pipelines_dir)]
    with running_emulator(clock=ManualClock(NOW), events_per_day=3000, streaming_duplicate_rate=0.05) as (
        emu,
        srv,
    ):
        env = _env(srv, emu.config, warehouse.pipelines_dir, warehouse.path)
        follower = subprocess.Popen(
            [*args, "--follow", "--from", "14d", "--events-per-run", "3000", "--interval", "1s"],
            env=env,
            cwd=warehouse.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _wait_for(lambda: _loaded_packages(warehouse.pipelines_dir) >= 2, "two loads", follower)
        time.sleep(0.3)  # inside the next load: mid-extract or mid-load
        follower.send_signal(signal.SIGKILL)
        follower.wait()
        loaded_before = len(set(warehouse.event_ids()))
        expected = emu.oracle.streaming_event_ids(NOW - timedelta(days=14), NOW + timedelta(seconds=1))
        assert 0 < loaded_before < len(expected), "the kill should land mid catch-up"

        resumed = subprocess.run(
            args, env=env, cwd=warehouse.root, capture_output=True, text=True, timeout=300
        )
        assert resumed.returncode == 0, resumed.stderr
        assert_exact(warehouse, expected)


def test_a_query_runs_while_stream_follow_runs_and_sigterm_stops_it_cleanly(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=3000) as (emu, srv):
        env = _env(srv, emu.config, warehouse.pipelines_dir, warehouse.path)
        follower = subprocess.Popen(
            [
                BOXEVENTS,
                "stream",
                "--follow",
                "--interval",
                "1s",
                "--pipelines-dir",
                str(warehouse.pipelines_dir),
            ],
            env=env,
            cwd=warehouse.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _wait_for(lambda: _loaded_packages(warehouse.pipelines_dir) >= 1, "the first load", follower)
        counts = []
        for _ in range(3):
            emu.clock.advance(timedelta(minutes=10))  # new events for the follower's next poll
            packages = _loaded_packages(warehouse.pipelines_dir)
            _wait_for(lambda p=packages: _loaded_packages(warehouse.pipelines_dir) > p, "a load", follower)
            query = subprocess.run(
                [BOXEVENTS, "query", "SELECT COUNT(*) FROM admin_logs", "--format", "csv"],
                env=env,
                cwd=warehouse.root,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert query.returncode == 0, query.stderr
            counts.append(int(query.stdout.splitlines()[1]))
        assert counts[0] < counts[-1]
        follower.send_signal(signal.SIGTERM)
        output, _ = follower.communicate(timeout=60)
        assert follower.returncode == 0, output
        assert "stopped by SIGTERM" in output.decode()


def test_watch_loads_a_change_through_long_polling_and_as_user_without_permission_is_one_line(warehouse):
    import httpx

    with running_emulator(clock=ManualClock(NOW), events_per_day=500, longpoll_timeout_seconds=2) as (
        emu,
        srv,
    ):
        env = _env(srv, emu.config, warehouse.pipelines_dir, warehouse.path)
        watcher = subprocess.Popen(
            [BOXEVENTS, "watch", "--pipelines-dir", str(warehouse.pipelines_dir)],
            env=env,
            cwd=warehouse.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _wait_for(lambda: _loaded_packages(warehouse.pipelines_dir) >= 1, "the first read", watcher)
        admin = emu.enterprise.admin.id
        added = httpx.post(f"{srv.base_url}/_emulator/user_events", json={"user_id": admin}).json()[
            "event_id"
        ]

        def loaded() -> bool:
            query = subprocess.run(
                [BOXEVENTS, "query", "SELECT event_id, stream_user_id FROM user_events", "--format", "csv"],
                env=env,
                cwd=warehouse.root,
                capture_output=True,
                text=True,
            )
            return f"{added},{admin}" in query.stdout

        _wait_for(loaded, "the added event in user_events", watcher, seconds=30)
        watcher.send_signal(signal.SIGTERM)
        output, _ = watcher.communicate(timeout=60)
        assert watcher.returncode == 0, output
        assert "stopped by SIGTERM" in output.decode()

    with running_emulator(clock=ManualClock(NOW), events_per_day=100, as_user_permission=False) as (emu, srv):
        env = _env(srv, emu.config, warehouse.pipelines_dir, warehouse.path)
        other = next(u.id for u in emu.enterprise.users if u.id != emu.enterprise.admin.id)
        refused = subprocess.run(
            [BOXEVENTS, "watch", "--as-user", other, "--pipelines-dir", str(warehouse.pipelines_dir)],
            env=env,
            cwd=warehouse.root,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 2
        assert refused.stderr.count("\n") == 1 and "Perform actions as users" in refused.stderr
