"""`boxevents emulator` as a command-line tool: a busy port, `--port 0`, faults, Ctrl-C.

These run the real command in a subprocess, because what they prove is what a user sees on
stdout and stderr and the exit code, not what a function returns.
"""

from __future__ import annotations

import logging
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from box_emulator.config import EmulatorConfig
from box_emulator.server import EmulatorServer, PortInUse, bind
from box_emulator.testing import running_emulator

BOXEVENTS = str(Path(sys.executable).parent / "boxevents")
TOKEN = EmulatorConfig().developer_token
STARTUP_SECONDS = 60.0  # the CLI imports dlt; on a busy 2-core machine that takes a while
DROP_LINE = re.compile(r"^emulator: dropped the connection of GET /2\.0/events on purpose \(\w+\)$")


class Emulator:
    """A `boxevents emulator` subprocess whose stdout lines are read in a thread (no blocking)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [BOXEVENTS, "emulator", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def wait_for_api_base_url(self) -> str:
        """Read banner lines until the API base URL line appears (or fail at the deadline)."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"the emulator exited early: {self.proc.wait()} {self.proc.stderr.read()!r}")
            if match := re.search(r"API base URL:\s+(\S+)", line):
                return match.group(1)
        pytest.fail("no API base URL line within the deadline")

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C; returns (exit code, everything on stderr)."""
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err


@contextmanager
def emulator_process(*args: str) -> Iterator[Emulator]:
    emulator = Emulator(*args)
    try:
        yield emulator
    finally:
        if emulator.proc.poll() is None:
            emulator.proc.kill()
            emulator.proc.communicate(timeout=30)


def test_a_busy_port_is_one_line_on_stderr_and_exit_code_2():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        run = subprocess.run(
            [BOXEVENTS, "emulator", "--port", str(port)], capture_output=True, text=True, timeout=120
        )
    assert run.returncode == 2
    assert run.stdout == ""  # no banner, no credentials
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ") and f"port {port} on 127.0.0.1 is already in use" in lines[0]
    assert "--port 0" in lines[0]


def test_bind_raises_port_in_use_for_a_taken_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortInUse) as caught:
            bind("127.0.0.1", port)
    assert str(caught.value) == f"port {port} on 127.0.0.1 is already in use"


def test_port_0_banner_shows_the_bound_port_and_the_emulator_answers_there():
    with emulator_process("--port", "0", "--profile", "clean") as emulator:
        api_base = emulator.wait_for_api_base_url()
        port = int(re.fullmatch(r"http://127\.0\.0\.1:(\d+)/2\.0", api_base).group(1))
        assert port != 0
        answer = httpx.get(api_base.removesuffix("/2.0") + "/_emulator/clock", timeout=10)
        assert answer.status_code == 200 and "now" in answer.json()
        emulator.proc.terminate()


def test_hostile_drops_are_one_line_each_and_ctrl_c_exits_quietly():
    with emulator_process("--port", "0", "--profile", "hostile") as emulator:
        api_base = emulator.wait_for_api_base_url()
        client = httpx.Client(base_url=api_base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        dropped = 0
        deadline = time.monotonic() + 120
        with client:
            while dropped < 2 and time.monotonic() < deadline:  # 2% of requests are dropped
                try:
                    client.get("/events", params={"stream_type": "admin_logs", "limit": 1})
                except httpx.TransportError:
                    dropped += 1
            stats = client.get(api_base.removesuffix("/2.0") + "/_emulator/stats").json()
        code, stderr = emulator.interrupt()
    assert dropped == 2 and stats["drops"] == 2
    assert code in (0, 130)
    assert "Traceback" not in stderr and "Aborted" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == dropped, stderr
    assert all(DROP_LINE.match(line) for line in lines), stderr


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_threaded_server_logs_each_drop_as_one_line_without_a_traceback(capfd):
    recorder = Recorder()
    loggers = [logging.getLogger(name) for name in ("box_emulator", "uvicorn")]
    with running_emulator(drop_rate=1.0) as (emu, srv):
        assert isinstance(srv, EmulatorServer)
        for logger in loggers:  # after uvicorn configured its loggers
            logger.addHandler(recorder)
        try:
            headers = {"Authorization": f"Bearer {emu.config.developer_token}"}
            with httpx.Client(base_url=srv.api_base_url, headers=headers, timeout=10) as client:
                for limit in (1, 500, 1, 500, 1, 500):  # large pages too: the partial body must flush
                    with pytest.raises(httpx.TransportError):
                        client.get("/events", params={"stream_type": "admin_logs", "limit": limit})
            srv.stop()  # whatever uvicorn has to say about those connections, it has said now
        finally:
            for logger in loggers:
                logger.removeHandler(recorder)
    assert emu.stats.drops == 6
    assert [r.name for r in recorder.records] == ["box_emulator.app"] * 6
    assert all(DROP_LINE.match(r.getMessage()) and r.exc_info is None for r in recorder.records)
    assert "Traceback" not in capfd.readouterr().err
