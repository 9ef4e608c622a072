"""The progress display of long runs: windows done of total, events, events/s, retries, ETA.

Shown on a terminal (stderr) only; in a scheduled job it stays quiet and the final summary line says
it all.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from .box_events.fetch import WindowDone


class WindowProgress:
    """A rich progress bar fed by the jobs' `on_plan` and `on_window` callbacks."""

    def __init__(self, label: str, *, enabled: bool | None = None) -> None:
        console = Console(stderr=True)
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
        self._events = 0
        self._started = time.monotonic()

    def __enter__(self) -> WindowProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def on_plan(self, total: int, skipped: int) -> None:
        self._started = time.monotonic()
        self._task = self._progress.add_task(
            self._label, total=total, completed=skipped, events=0, rate=0.0, retries=0
        )

    def on_window(self, done: WindowDone) -> None:
        if self._task is None:
            return
        self._events += done.events
        elapsed = max(time.monotonic() - self._started, 1e-6)
        self._progress.update(
            self._task,
            advance=1,
            events=self._events,
            rate=self._events / elapsed,
            retries=done.retries,
        )
