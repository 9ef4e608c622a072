"""The DuckDB file held open between a job's loads, and let go whenever someone else may need it."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.box_events.duckdb_hold import WarehouseHold
from pipelines.box_events.fetch import WindowBatch, WindowFetcher
from pipelines.box_events.retries import RequestStats
from pipelines.box_events.windows import Window
from tests.conftest import MIDNIGHT, NOW, api_for

DAY = timedelta(days=1)

OPEN_READ_ONLY = "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True).close()"


def another_program_can_read(path: Path) -> bool:
    """DuckDB's file lock is per process: only another process shows whether the file is free."""
    opened = subprocess.run([sys.executable, "-c", OPEN_READ_ONLY, str(path)], capture_output=True)
    return opened.returncode == 0


@pytest.fixture
def pipeline(warehouse):
    """A warehouse with one day loaded (and its file closed), to hold."""
    with running_emulator(clock=ManualClock(NOW), events_per_day=200) as (emu, srv):
        pipeline = warehouse.pipeline()
        jobs.backfill(pipeline, start=MIDNIGHT - DAY, end=MIDNIGHT, api=api_for(srv, emu.config), now=NOW)
    return pipeline


def test_the_file_is_held_after_a_load_and_let_go_once_held_max_s(warehouse, pipeline):
    assert another_program_can_read(warehouse.path)
    now = [0.0]
    with WarehouseHold(pipeline, max_s=10, clock=lambda: now[0]) as hold:
        hold.after_load()
        assert hold.held and not another_program_can_read(warehouse.path)
        now[0] = 9.9
        hold.after_load()
        assert hold.held, "held for less than max_s: kept for the next load"
        now[0] = 10.0
        hold.after_load()
        assert not hold.held and another_program_can_read(warehouse.path)
        hold.after_load()
        assert hold.held and hold.takes == 2, "the next load takes it again"
    assert not hold.held and another_program_can_read(warehouse.path)
    assert not Path(f"{warehouse.path}.wal").exists(), "let go last: DuckDB checkpointed"


def test_a_job_lets_the_file_go_before_the_transforms_and_at_its_end(warehouse, assert_exact):
    start, end = MIDNIGHT - 6 * DAY, MIDNIGHT
    readable_in_callback: list[bool] = []
    with running_emulator(clock=ManualClock(NOW), events_per_day=1000) as (emu, srv):
        report = jobs.backfill(
            warehouse.pipeline(),
            start=start,
            end=end,
            api=api_for(srv, emu.config, concurrency=2),
            now=NOW,
            events_per_run=1500,
            after_first_checkpoint=lambda _: readable_in_callback.append(
                another_program_can_read(warehouse.path)
            ),
        )
        assert_exact(warehouse, emu.oracle.event_ids(start, end))
    assert report.runs >= 3, "the hold is only exercised between loads"
    assert readable_in_callback == [True]
    assert another_program_can_read(warehouse.path)
    assert not Path(f"{warehouse.path}.wal").exists(), "the job's last release checkpointed the file"


class _StalledBox:
    """A client whose one window answers only once the test lets it: the job is waiting for Box."""

    def __init__(self) -> None:
        self.stats = RequestStats()
        self.answer = threading.Event()

    def window_pages(self, window: Window, event_types: object = ()):
        self.answer.wait(timeout=30)
        return iter(())

    def close(self) -> None:
        self.answer.set()


def test_waiting_for_box_longer_than_idle_s_calls_on_idle():
    box, idle = _StalledBox(), threading.Event()
    window = Window(MIDNIGHT - DAY, MIDNIGHT)
    fetcher = WindowFetcher(box, [window], on_idle=idle.set, idle_s=0.3)  # type: ignore[arg-type]
    items: list[object] = []
    consumer = threading.Thread(target=lambda: items.extend(fetcher.checkpoint(0)))
    consumer.start()
    try:
        assert idle.wait(timeout=10), "on_idle was never called while the job waited"
    finally:
        box.answer.set()
        consumer.join(timeout=10)
        fetcher.close()
    assert [type(item).__name__ for item in items] == ["WindowDone"]
    assert not any(isinstance(item, WindowBatch) for item in items)


def test_a_failing_job_keeps_its_own_error_when_closing_fails_too(warehouse, pipeline, monkeypatch):
    hold = WarehouseHold(pipeline)
    hold.after_load()
    client_class = type(hold._client)
    close = client_class.close_connection

    def close_then_fail(self: object) -> None:
        close(self)  # the file really is let go: only the error is made up
        raise OSError("No space left on device")

    monkeypatch.setattr(client_class, "close_connection", close_then_fail)
    with pytest.raises(ValueError, match="the job's own error"), hold:
        raise ValueError("the job's own error")
    hold.after_load()
    with pytest.raises(OSError, match="No space left"):
        hold.release()  # a job that was fine hears of it
    assert not hold.held and another_program_can_read(warehouse.path)


HOLD_READ_ONLY = (
    "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); "
    "sys.stdin.read()"
)


def test_a_file_another_program_has_open_is_not_held_and_nothing_fails(warehouse, pipeline):
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_READ_ONLY, str(warehouse.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "open\n"
        hold = WarehouseHold(pipeline)
        hold.after_load()
        assert not hold.held and hold.takes == 0
    finally:
        reader.communicate("")
    hold.after_load()
    assert hold.held, "once the other program is gone, the next load takes it"
    hold.release()
