"""Fetch windows in the background: latency hidden by threads, memory kept flat, loads overlapped.

A backfill is a sequence of checkpoints (one dlt run each) over chunks of windows. The fetcher works
through the windows of all chunks in order with a pool of threads, one window per thread at a time,
and hands Arrow batches to the chunk's bounded queue; the dlt resource of that chunk's run yields them
in arrival order. Threads move on to the next chunk's windows as soon as they are free, so Box is being
read while dlt normalizes and loads the previous checkpoint. A window's completion record is queued
after its last batch, so a ledger row can never precede the events it vouches for. The bounded queues
keep memory flat: workers wait whenever the loader falls behind.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from .arrow_pages import within
from .client import BoxEventsClient
from .settings import ARROW_BATCH_PAGES
from .windows import Window


@dataclass(frozen=True)
class WindowDone:
    window: Window
    events: int
    pages: int
    retries: int = 0
    """The job's retries so far (all windows), for the progress display."""


@dataclass(frozen=True)
class RunCounters:
    requests: int
    retries: int
    throttled: int


def first_sightings(events: pa.Table, seen: set[str]) -> pa.Table:
    """The rows whose `event_id` this window has not seen yet; `seen` is updated.

    Box documents admin_logs as free of duplicates; this makes it true by construction, so each dlt
    run can declare its staging data deduplicated (windows of one run are disjoint in `created_at`)
    and the merge skips its costly dedup step. Memory: one window's ids at a time."""
    ids = events.column("event_id").to_pylist()
    if seen.isdisjoint(ids) and len(set(ids)) == len(ids):
        seen.update(ids)
        return events
    keep = []
    for event_id in ids:
        keep.append(event_id not in seen)
        seen.add(event_id)
    return events.filter(pa.array(keep, type=pa.bool_()))


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_Item = pa.Table | WindowDone | _Failed


class WindowFetcher:
    """Fetches chunks of windows one after another in background threads; `chunk(i)` yields chunk
    i's Arrow batches and WindowDone records. Owns the client: `close()` stops the threads and closes it."""

    def __init__(
        self,
        client: BoxEventsClient,
        chunks: Sequence[Sequence[Window]],
        *,
        event_types: Sequence[str] = (),
        concurrency: int = 1,
        batch_pages: int = ARROW_BATCH_PAGES,
    ) -> None:
        self.client = client
        self.chunks = [list(chunk) for chunk in chunks]
        self._event_types = tuple(event_types)
        self._concurrency = max(1, concurrency)
        self._batch_pages = batch_pages
        self._queues: list[queue.Queue[_Item]] = [
            queue.Queue(maxsize=max(4, 2 * self._concurrency)) for _ in self.chunks
        ]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._counted = RunCounters(0, 0, 0)

    def chunk(self, index: int) -> Iterator[pa.Table | WindowDone]:
        """Chunk `index`'s items until all its windows are done; re-raises a worker's error."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="box-fetcher", daemon=True)
            self._thread.start()
        items, done = self._queues[index], 0
        while done < len(self.chunks[index]):
            item = items.get()
            if isinstance(item, _Failed):
                self.close()
                raise item.error
            if isinstance(item, WindowDone):
                done += 1
            yield item

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

    def _run(self) -> None:
        # Every window is queued up front, in order: the pool's FIFO starts a chunk's windows before
        # the next chunk's, and a worker that runs ahead only fills the next chunk's bounded queue.
        # So there is no lull at chunk boundaries: the next chunk's first windows start as soon as
        # the previous chunk's last windows leave a thread free.
        with ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="box-window") as pool:
            for windows, items in zip(self.chunks, self._queues, strict=True):
                for window in windows:
                    pool.submit(self._fetch_window, window, items)

    def _put(self, items: queue.Queue[_Item], item: _Item) -> None:
        while not self._stop.is_set():
            try:
                items.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _fetch_window(self, window: Window, items: queue.Queue[_Item]) -> None:
        if self._stop.is_set():
            return
        try:
            events = pages = 0
            batch: list[pa.Table] = []
            seen: set[str] = set()
            for page in self.client.window_pages(window, self._event_types):
                if self._stop.is_set():
                    return
                pages += 1
                batch.append(first_sightings(page.events, seen))
                if len(batch) >= self._batch_pages:
                    events += self._put_batch(batch, window, items)
                    batch = []
            events += self._put_batch(batch, window, items)
            self._put(items, WindowDone(window, events, pages, self.client.stats.retries))
        except BaseException as error:  # handed to the consumer, which re-raises it
            self._put(items, _Failed(error))

    def _put_batch(self, batch: list[pa.Table], window: Window, items: queue.Queue[_Item]) -> int:
        if not batch:
            return 0
        table = within(pa.concat_tables(batch), window.start, window.end)
        if table.num_rows:
            self._put(items, table)
        return table.num_rows
