"""The systemd units and the cron lines in deploy/ run as written: systemd accepts the units, and their
commands (and the cron lines') load from the emulator into DuckDB with only PATH, the folder and the
credentials file changed to this test's."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from box_emulator import SystemClock
from box_emulator.testing import running_emulator

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
VENV_BIN = str(Path(sys.executable).parent)


def _unit(name: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, value)
    return settings


def _env_file(path: Path, srv, config) -> Path:
    path.write_text(
        f"SOURCES__BOX_EVENTS__API_BASE_URL={srv.api_base_url}\n"
        f"SOURCES__BOX_EVENTS__TOKEN_URL={srv.token_url}\n"
        f"SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN={config.developer_token}\n"
    )
    return path


def _systemd_env(unit: dict[str, str], env_file: Path) -> dict[str, str]:
    """What systemd gives the command: the unit's PATH (with this venv for /opt/box-audit/.venv/bin)
    and the EnvironmentFile's KEY=value lines; nothing inherited."""
    path = unit["Environment"].removeprefix("PATH=").replace("/opt/box-audit/.venv/bin", VENV_BIN)
    env = {"PATH": path, "HOME": str(env_file.parent)}
    for line in env_file.read_text().splitlines():
        key, value = line.split("=", 1)
        env[key] = value
    return env


def test_systemd_accepts_the_units():
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is installed by `make system` (Debian package systemd)"
    units = sorted(str(p) for p in (DEPLOY / "systemd").iterdir())
    result = subprocess.run([analyze, "verify", *units], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_units_and_the_cron_lines_sync_and_follow_as_written(tmp_path: Path):
    """One warehouse folder, as on a server: the timer's sync while the service follows, then the
    cron lines (whose flock keeps a second follower from starting)."""
    sync_unit, stream_unit = _unit("boxevents-sync.service"), _unit("boxevents-stream.service")
    with running_emulator(clock=SystemClock(), events_per_day=2000) as (emu, srv):
        env_file = _env_file(tmp_path / "env", srv, emu.config)
        env = _systemd_env(sync_unit, env_file)
        follower = subprocess.Popen(
            shlex.split(stream_unit["ExecStart"]),
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _wait_until(lambda: (tmp_path / "box_audit.duckdb").exists())
        sync = subprocess.run(
            shlex.split(sync_unit["ExecStart"]), cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert sync.returncode == 0, sync.stderr
        assert "sync:" in sync.stdout
        follower.send_signal(signal.SIGTERM)  # what `systemctl stop` does
        output, _ = follower.communicate(timeout=int(stream_unit["TimeoutStopSec"].rstrip("s")))
        assert follower.returncode == 0, output
        assert not _holder(tmp_path)

        sync_line, stream_line = (_cron_command(line, tmp_path, env_file) for line in _cron_lines())
        plain = {"PATH": "/usr/bin:/bin"}
        assert subprocess.run(["sh", "-c", sync_line], env=plain, timeout=300).returncode == 0
        assert re.search(r"sync: \d+ windows? loaded", (tmp_path / "sync.log").read_text())
        cron_follower = subprocess.Popen(["sh", "-c", stream_line], env=plain, start_new_session=True)
        _wait_until(lambda: "stream" in _holder(tmp_path) or "stream: " in _log(tmp_path / "stream.log"))
        # the minute after: flock -n finds the follower running and starts no second one
        second = subprocess.run(["sh", "-c", stream_line], env=plain, timeout=60)
        assert second.returncode == 1 and cron_follower.poll() is None
        os.killpg(cron_follower.pid, signal.SIGTERM)  # the shell dies of it; boxevents stops cleanly
        cron_follower.wait(timeout=120)
        _wait_until(lambda: "stopped by SIGTERM" in _log(tmp_path / "stream.log"), 120)


def _cron_lines() -> list[str]:
    text = (DEPLOY / "cron" / "boxevents.crontab").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(lines) == 2
    return lines


def _cron_command(line: str, folder: Path, env_file: Path) -> str:
    """The command part of a crontab line (after the five time fields), with this test's paths."""
    command = line.split(None, 5)[5]
    return (
        command.replace("/var/lib/box-audit", str(folder))
        .replace("/etc/box-audit/env", str(env_file))
        .replace("/opt/box-audit/.venv/bin", VENV_BIN)
    )


def _wait_until(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _log(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _holder(folder: Path) -> str:
    try:
        return (folder / "box_audit.duckdb.lock.holder").read_text()
    except OSError:
        return ""
