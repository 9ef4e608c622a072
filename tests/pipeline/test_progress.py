"""Progress without a terminal: plain lines on a timer, even while nothing completes; a request
retrying for long says so once."""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from pipelines.box_events.fetch import WindowDone
from pipelines.box_events.retries import RequestStats, RetryPolicy, send_with_retries
from pipelines.box_events.windows import Window
from pipelines.progress import WindowProgress
from pipelines.wording import human_duration as duration

INTERVAL = 0.05
DAY = datetime(2025, 1, 1, tzinfo=UTC)
STATUS = re.compile(
    r"^backfill: (\d+)/(\d+) windows, ([\d,]+) events, ([\d,]+) events/s, (\d+) retries, "
    r"ETA (\S+)(, no window done for \S+)?$"
)


class TimedStream(io.StringIO):
    """Captures what is written and when, so tests can check the spacing of lines."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def write(self, text: str) -> int:
        self.times.append(time.monotonic())
        return super().write(text)

    def lines(self) -> list[str]:
        return self.getvalue().splitlines()


def wait_for_lines(stream: TimedStream, count: int, timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(stream.lines()) < count:
        assert time.monotonic() < deadline, f"only {stream.lines()} after {timeout}s"
        time.sleep(INTERVAL / 10)
    return stream.lines()


def done(day: int, events: int, retries: int) -> WindowDone:
    start = DAY + timedelta(days=day)
    return WindowDone(Window(start, start + timedelta(days=1)), events, pages=1, retries=retries)


def ticker_running() -> bool:
    return any(thread.name == "boxevents-progress" for thread in threading.enumerate())


def test_plain_lines_come_on_a_timer_while_no_window_completes():
    stream = TimedStream()
    with WindowProgress("backfill", enabled=False, interval=INTERVAL, stream=stream) as progress:
        progress.on_plan(61, 12)
        lines = wait_for_lines(stream, 4)
    assert lines[0] == "backfill: 61 windows planned, 12 already covered"
    for line in lines[1:]:
        assert STATUS.match(line), line
        assert line.startswith("backfill: 12/61 windows, 0 events, 0 events/s, 0 retries, ETA unknown")
        assert ", no window done for " in line
    gaps = [later - earlier for earlier, later in zip(stream.times, stream.times[1:], strict=False)]
    assert min(gaps) >= INTERVAL * 0.9, f"lines closer than the interval: {gaps}"


def test_the_numbers_in_the_lines_are_right():
    stream = TimedStream()
    with WindowProgress("backfill", enabled=False, interval=INTERVAL, stream=stream) as progress:
        planned = time.monotonic()
        progress.on_plan(10, 2)
        progress.on_window(done(0, 1_200, retries=1))
        progress.on_window(done(1, 3_000, retries=4))
        before = len(stream.lines())
        line = wait_for_lines(stream, before + 1)[before]
        seen = time.monotonic()
    match = STATUS.match(line)
    assert match, line
    completed, total, events, rate, retries, eta = match.groups()[:6]
    assert (int(completed), int(total), events, int(retries)) == (4, 10, "4,200", 4)
    # events/s and ETA depend on elapsed time, which lies between the test's own two clock readings.
    elapsed_max = seen - planned
    assert 4_200 / elapsed_max - 1 <= int(rate.replace(",", "")) <= 4_200 / INTERVAL + 1
    # 6 windows left at 2 windows per elapsed: 3 × elapsed.
    assert eta.endswith("s") and int(eta[:-1]) <= round(3 * elapsed_max) + 1


def test_nothing_is_printed_after_exit():
    stream = TimedStream()
    with WindowProgress("sync", enabled=False, interval=INTERVAL, stream=stream) as progress:
        progress.on_plan(3, 0)
        wait_for_lines(stream, 2)
    assert not ticker_running(), "the ticker thread outlives the progress"
    after_exit = stream.getvalue()
    time.sleep(INTERVAL * 3)
    assert stream.getvalue() == after_exit
    assert after_exit.splitlines()[0] == "sync: 3 windows planned, 0 already covered"


def test_an_exit_before_the_first_tick_prints_only_the_plan():
    stream = TimedStream()
    with WindowProgress("backfill", enabled=False, interval=60, stream=stream) as progress:
        progress.on_plan(5, 0)
        progress.on_window(done(0, 10, retries=0))
    assert stream.lines() == ["backfill: 5 windows planned, 0 already covered"]
    assert not ticker_running()


def test_on_a_terminal_the_bar_replaces_the_plain_lines():
    stream = TimedStream()
    with WindowProgress("backfill", enabled=True, interval=INTERVAL, stream=stream) as progress:
        progress.on_plan(5, 0)
        assert not ticker_running()
    assert "windows planned" not in stream.getvalue()


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0s"), (45, "45s"), (130, "2m10s"), (3600 + 300, "1h05m")]
)
def test_durations_read_short(seconds, text):
    assert duration(seconds) == text


# --- a request that keeps retrying says so once --------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def flaky_send(clock: FakeClock, failures: int, seconds_each: float):
    """A `send` that answers 503 (with `Retry-After: 0`, so the test never sleeps) `failures` times,
    each taking `seconds_each` on the fake clock, then 200."""
    calls = 0

    def send() -> httpx.Response:
        nonlocal calls
        calls += 1
        clock.now += seconds_each
        if calls <= failures:
            return httpx.Response(503, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"entries": []})

    return send


URL = "http://127.0.0.1:9/2.0/events"


def slow_warnings(caplog) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "pipelines.box_events.retries" and "still retrying" in record.getMessage()
    ]


def test_a_request_retrying_past_the_threshold_warns_once_then_succeeds(caplog):
    clock = FakeClock()
    stats = RequestStats()
    with caplog.at_level(logging.INFO, logger="pipelines.box_events.retries"):
        response = send_with_retries(
            flaky_send(clock, failures=5, seconds_each=5.0),
            what=f"the Box events API {URL}",
            policy=RetryPolicy(max_attempts=8, max_wait_s=60),
            stats=stats,
            clock=clock,
        )
    assert response.status_code == 200
    assert (stats.requests, stats.retries) == (6, 5)
    [warning] = slow_warnings(caplog)
    assert warning.levelno == logging.WARNING
    # 5 s per attempt against the 10 s threshold: the third failure (at 15 s) is the first past it.
    assert warning.getMessage() == (
        f"still retrying the Box events API {URL} after 15s (HTTP 503, attempt 3 of 8)"
    )


def test_quick_retries_stay_quiet(caplog):
    clock = FakeClock()
    with caplog.at_level(logging.INFO, logger="pipelines.box_events.retries"):
        response = send_with_retries(
            flaky_send(clock, failures=3, seconds_each=1.0),
            what=f"the Box events API {URL}",
            policy=RetryPolicy(max_attempts=8, max_wait_s=60),
            stats=RequestStats(),
            clock=clock,
        )
    assert response.status_code == 200
    assert slow_warnings(caplog) == []
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
