"""Fetch windows in the background: latency hidden by threads, memory kept flat, loads overlapped.

A backfill is a sequence of checkpoints (one dlt run each). The fetcher hands windows, in order, to a
pool of threads, one window per thread at a time, and assigns each window to a checkpoint as it hands
it out: a checkpoint closes once its windows are expected to hold `max_events` events (estimated
from the windows already read, per second of window) or it has `max_windows` windows. So a
checkpoint holds about the same number of events however busy the enterprise, which keeps the
loader's memory flat, and a thread that finishes moves straight on to the next checkpoint's windows,
so Box is being read while dlt normalizes and loads the previous one. The first checkpoint can be
given a shorter span (`first_span`): a newest-first backfill commits its newest day first, alone.

Each checkpoint has a bounded queue of Arrow batches; the dlt resource of that checkpoint's run yields
them in arrival order. A window's completion record is queued after its last batch, so a ledger row
can never precede the events it vouches for. The bounded queues keep memory flat: workers wait
whenever the loader falls behind.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from . import stopping
from .arrow_pages import within
from .client import BoxEventsClient
from .settings import ARROW_BATCH_PAGES, HOLD_IDLE_S
from .windows import Window


@dataclass(frozen=True)
class WindowDone:
    window: Window
    events: int
    pages: int
    retries: int = 0
    """The job's retries so far (all windows), for the progress display."""


@dataclass(frozen=True)
class WindowBatch:
    """Rows of one window (already cut to it and free of this checkpoint's repeats)."""

    window: Window
    events: pa.Table


@dataclass(frozen=True)
class RunCounters:
    requests: int
    retries: int
    throttled: int


class FirstSightings:
    """Keeps the rows whose `event_id` this checkpoint has not loaded yet, across all its windows.

    Box documents admin_logs as free of duplicates, but "nothing twice" must not depend on Box
    behaving: a server may send one event in two windows (with two different `created_at`). The
    merge's own dedup would also catch that; dropping the repeat here keeps staging small and the
    promise independent of any one layer. Shared by the threads of one checkpoint (one dlt run);
    memory: the ids of one checkpoint, which `events_per_run` bounds (about 25 MB at 250k events).
    Duplicates across checkpoints are harmless: each is its own merge, which replaces the row."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, events: pa.Table) -> pa.Table:
        ids = events.column("event_id").to_pylist()
        with self._lock:
            if self._seen.isdisjoint(ids) and len(set(ids)) == len(ids):
                self._seen.update(ids)
                return events
            keep = []
            for event_id in ids:
                keep.append(event_id not in self._seen)
                self._seen.add(event_id)
        return events.filter(pa.array(keep, type=pa.bool_()))


@dataclass(frozen=True)
class _Failed:
    error: BaseException


@dataclass(frozen=True)
class _Closed:
    """The checkpoint will get no more windows than `windows`."""

    windows: int


_Item = WindowBatch | WindowDone | _Failed | _Closed


class _Checkpoint:
    def __init__(self, queue_size: int) -> None:
        self.items: queue.Queue[_Item] = queue.Queue(maxsize=queue_size)
        self.windows: list[Window] = []
        self.first_sightings = FirstSightings()

    def release(self) -> None:
        """Forget the ids once every window is done: kept for the whole job, each checkpoint's
        ids (about 25 MB at 250k events) made the loader's memory grow with the backfill."""
        self.first_sightings = FirstSightings()


class WindowFetcher:
    """Fetches windows in background threads and deals them into checkpoints; `checkpoint(i)` yields
    checkpoint i's batches and WindowDone records. Owns the client: `close()` stops the threads
    and closes it."""

    def __init__(
        self,
        client: BoxEventsClient,
        windows: Sequence[Window],
        *,
        max_events: float = float("inf"),
        max_windows: int | None = None,
        event_types: Sequence[str] = (),
        concurrency: int = 1,
        batch_pages: int = ARROW_BATCH_PAGES,
        first_span: timedelta | None = None,
        not_before: Callable[[], datetime] | None = None,
        on_idle: Callable[[], None] | None = None,
        idle_s: float = HOLD_IDLE_S,
    ) -> None:
        """`first_span`: the first checkpoint closes once its windows cover this much time.
        `not_before`: the oldest `created_at` Box still serves, asked as each window is handed out;
        a window that starts earlier is cut to it (a newest-first year reaches its oldest window
        20 minutes after planning it, when Box has dropped that window's first minutes and would
        refuse the request), one wholly older is skipped.
        `on_idle`: called in `checkpoint`'s thread whenever it has waited `idle_s` for the next item
        (the job waits for Box: `duckdb_hold` lets the warehouse file go then)."""
        self.client = client
        self.windows = list(windows)
        self._max_events = max_events
        self._max_windows = max_windows or max(1, len(self.windows))
        self._first_span = first_span
        self._not_before = not_before
        self._on_idle = on_idle
        self._idle_s = idle_s
        self._event_types = tuple(event_types)
        self._concurrency = max(1, concurrency)
        self._batch_pages = batch_pages
        # deep enough that the next checkpoint's windows keep arriving while dlt loads the previous
        # one (about 1.5 s for 250k events); at most ~16 batches of 10k events wait (~110 MB)
        self._queue_size = max(16, 4 * self._concurrency)
        self._checkpoints: list[_Checkpoint] = []
        self._dealt_all = False
        self._changed = threading.Condition()
        self._free_workers = threading.Semaphore(self._concurrency)
        self._events_read = 0
        self._seconds_read = 0.0
        self._rate_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._counted = RunCounters(0, 0, 0)

    def has_checkpoint(self, index: int) -> bool:
        """Whether checkpoint `index` exists (waits until the dealer knows)."""
        self._start()
        with self._changed:
            self._changed.wait_for(lambda: len(self._checkpoints) > index or self._dealt_all)
            return len(self._checkpoints) > index

    def checkpoint(self, index: int) -> Iterator[WindowBatch | WindowDone]:
        """Checkpoint `index`'s items until all its windows are done; re-raises a worker's error."""
        if not self.has_checkpoint(index):
            return
        items = self._checkpoints[index].items
        done, expected = 0, None
        waiting_since: float | None = None
        while expected is None or done < expected:
            stopping.check()
            try:
                item = items.get(timeout=0.2)
            except queue.Empty:
                now = time.monotonic()
                waiting_since = waiting_since or now
                if self._on_idle and now - waiting_since >= self._idle_s:
                    self._on_idle()
                continue
            waiting_since = None
            if isinstance(item, _Failed):
                self.close()
                raise item.error
            if isinstance(item, _Closed):
                expected = item.windows
                continue
            if isinstance(item, WindowDone):
                done += 1
            yield item
        self._checkpoints[index].release()

    def take_counters(self) -> RunCounters:
        """Requests, retries and 429s since the last call: one checkpoint's share."""
        stats = self.client.stats
        now = RunCounters(stats.requests, stats.retries, stats.throttled)
        before, self._counted = self._counted, now
        return RunCounters(*(a - b for a, b in zip(vars(now).values(), vars(before).values(), strict=True)))

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self.client.close()

    def __enter__(self) -> WindowFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._deal, name="box-fetcher", daemon=True)
            self._thread.start()

    def _deal(self) -> None:
        """Hand windows to free threads in order, opening a new checkpoint when the current is full."""
        with ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="box-window") as pool:
            current: _Checkpoint | None = None
            for planned in self.windows:
                while not self._free_workers.acquire(timeout=0.2):
                    if self._stop.is_set():
                        return
                if self._stop.is_set():
                    return
                window = self._still_served(planned)
                if window is None:
                    self._free_workers.release()
                    continue
                if current is not None and self._full(current):
                    self._close(current)
                    current = None
                if current is None:
                    current = _Checkpoint(self._queue_size)
                    with self._changed:
                        self._checkpoints.append(current)
                        self._changed.notify_all()
                current.windows.append(window)
                pool.submit(self._fetch_window, window, current)
            if current is not None:
                self._close(current)
        with self._changed:
            self._dealt_all = True
            self._changed.notify_all()

    def _still_served(self, window: Window) -> Window | None:
        """`window` cut to what Box still serves (None: nothing of it is left)."""
        if self._not_before is None:
            return window
        oldest = self._not_before()
        if window.end <= oldest:
            return None
        return window if window.start >= oldest else Window(oldest, window.end)

    def _full(self, checkpoint: _Checkpoint) -> bool:
        if len(checkpoint.windows) >= self._max_windows:
            return True
        span = sum((w.end - w.start).total_seconds() for w in checkpoint.windows)
        first = self._first_span is not None and checkpoint is self._checkpoints[0]
        if first and span >= self._first_span.total_seconds():
            return True
        with self._rate_lock:
            if not self._seconds_read:
                return False
            rate = self._events_read / self._seconds_read
        return span * rate >= self._max_events

    def _close(self, checkpoint: _Checkpoint) -> None:
        self._put(checkpoint.items, _Closed(len(checkpoint.windows)))

    def _put(self, items: queue.Queue[_Item], item: _Item) -> None:
        while not self._stop.is_set():
            try:
                items.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _fetch_window(self, window: Window, checkpoint: _Checkpoint) -> None:
        items = checkpoint.items
        try:
            if self._stop.is_set():
                return
            events = pages = 0
            batch: list[pa.Table] = []
            for page in self.client.window_pages(window, self._event_types):
                if self._stop.is_set():
                    return
                pages += 1
                batch.append(page.events)
                if len(batch) >= self._batch_pages:
                    events += self._put_batch(batch, window, checkpoint)
                    batch = []
            events += self._put_batch(batch, window, checkpoint)
            with self._rate_lock:
                self._events_read += events
                self._seconds_read += (window.end - window.start).total_seconds()
            self._put(items, WindowDone(window, events, pages, self.client.stats.retries))
        except BaseException as error:  # handed to the consumer, which re-raises it
            self._put(items, _Failed(error))
        finally:
            self._free_workers.release()

    def _put_batch(self, batch: list[pa.Table], window: Window, checkpoint: _Checkpoint) -> int:
        """The window's own rows of `batch` (cut to `[start, end)` first, so a row a neighbour's
        boundary slack saw is never mistaken for a duplicate), minus ids the checkpoint already has."""
        if not batch:
            return 0
        table = checkpoint.first_sightings(within(pa.concat_tables(batch), window.start, window.end))
        if table.num_rows:
            self._put(checkpoint.items, WindowBatch(window, table))
        return table.num_rows
