"""The progress display of long runs: windows done of total, events, events/s, retries, ETA.

On a terminal (stderr) it is a rich progress bar. Anywhere else (cron, a CI log, `2> file`) it is a
plain line to stderr once after planning and then about every `PLAIN_INTERVAL_S` seconds, from a
background ticker: so a stalled run (an unreachable host, a long retry) still says it is alive, and
a log holds a handful of lines rather than one per window. The final summary line comes from the
command itself.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from .box_events.fetch import WindowDone
from .wording import human_duration

PLAIN_INTERVAL_S = 10.0
"""Seconds between plain progress lines: often enough that a stalled run shows within seconds in a
log someone is tailing, rarely enough that an hour-long backfill writes a few hundred lines, not one
per window."""


class WindowProgress:
    """Progress fed by the jobs' `on_plan` and `on_window` callbacks.

    `enabled`: show the rich bar (default: when stderr is a terminal); otherwise print plain lines.
    `interval`: seconds between plain lines (None: no plain lines). `stream`: where plain lines and
    the bar go (default: stderr)."""

    def __init__(
        self,
        label: str,
        *,
        enabled: bool | None = None,
        interval: float | None = PLAIN_INTERVAL_S,
        stream: TextIO | None = None,
    ) -> None:
        console = Console(stderr=True) if stream is None else Console(file=stream)
        self.enabled = console.is_terminal if enabled is None else enabled
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} windows"),
            TextColumn("{task.fields[events]:,} events"),
            TextColumn("{task.fields[rate]:,.0f} ev/s"),
            TextColumn("{task.fields[retries]} retries"),
            TimeRemainingColumn(),
            console=console,
            disable=not self.enabled,
        )
        self._label = label
        self._task: TaskID | None = None
        self._stream = stream
        self._interval = None if self.enabled else interval
        # Shared with the ticker thread, under the lock.
        self._lock = threading.Lock()
        self._planned = False
        self._total = 0
        self._completed = 0
        self._done_here = 0
        self._events = 0
        self._retries = 0
        self._started = time.monotonic()
        self._last_window = self._started
        self._closed = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> WindowProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._closed = True
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        self._progress.__exit__(exc_type, exc, tb)

    def on_plan(self, total: int, skipped: int) -> None:
        with self._lock:
            self._started = self._last_window = time.monotonic()
            self._total, self._completed = total, skipped
            first_plan, self._planned = not self._planned, True
        self._task = self._progress.add_task(
            self._label, total=total, completed=skipped, events=0, rate=0.0, retries=0
        )
        if self._interval is None or not first_plan:
            return
        self._write(f"{self._label}: {total:,} windows planned, {skipped:,} already covered")
        self._ticker = threading.Thread(target=self._tick, name="boxevents-progress", daemon=True)
        self._ticker.start()

    def on_window(self, done: WindowDone) -> None:
        if self._task is None:
            return
        with self._lock:
            now = time.monotonic()
            self._completed += 1
            self._done_here += 1
            self._events += done.events
            self._retries = done.retries
            self._last_window = now
            events, rate = self._events, self._events / max(now - self._started, 1e-6)
        self._progress.update(self._task, advance=1, events=events, rate=rate, retries=done.retries)

    def _tick(self) -> None:
        # Event.wait, not sleep: __exit__ wakes the ticker at once instead of after an interval.
        assert self._interval is not None
        while not self._stop.wait(self._interval):
            self._write(self._status_line())

    def _status_line(self) -> str:
        with self._lock:
            now = time.monotonic()
            elapsed = max(now - self._started, 1e-6)
            line = (
                f"{self._label}: {self._completed:,}/{self._total:,} windows, {self._events:,} events, "
                f"{self._events / elapsed:,.0f} events/s, {self._retries:,} retries, "
            )
            if self._done_here:
                remaining = max(self._total - self._completed, 0)
                line += f"ETA {human_duration(remaining * elapsed / self._done_here)}"
            else:
                line += "ETA unknown"
            idle = now - self._last_window
            if self._interval is not None and idle >= self._interval:
                line += f", no window done for {human_duration(idle)}"
            return line

    def _write(self, line: str) -> None:
        with self._lock:
            if self._closed:
                return
            stream = self._stream if self._stream is not None else sys.stderr
            stream.write(line + "\n")
            stream.flush()
