"""Fetch many windows at once: latency hidden by threads, order and memory kept in check.

Each worker pages one window at a time and hands Arrow batches to a bounded queue; the consumer (the
dlt resource, in the extract thread) yields them in arrival order. A window's completion record is
queued after its last batch, so a ledger row can never precede the events it vouches for. The bounded
queue keeps memory flat: workers wait when the loader falls behind.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from .arrow_pages import within
from .client import BoxEventsClient, Page
from .settings import ARROW_BATCH_PAGES
from .windows import Window


@dataclass(frozen=True)
class WindowDone:
    window: Window
    events: int
    pages: int
    retries: int = 0
    """The run's retries so far (all windows), for the progress display."""


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_Item = pa.Table | WindowDone | _Failed


def fetch_windows(
    client: BoxEventsClient,
    windows: Sequence[Window],
    *,
    event_types: Sequence[str] = (),
    concurrency: int = 1,
    batch_pages: int = ARROW_BATCH_PAGES,
) -> Iterator[pa.Table | WindowDone]:
    """Yield Arrow tables of events (already cut to their window) and one WindowDone per window."""
    if not windows:
        return
    items: queue.Queue[_Item] = queue.Queue(maxsize=max(2, concurrency * 2))
    stop = threading.Event()

    def put(item: _Item) -> None:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def work(window: Window) -> None:
        if stop.is_set():
            return
        try:
            events = pages = 0
            batch: list[Page] = []
            for page in client.window_pages(window, event_types):
                if stop.is_set():
                    return
                pages += 1
                batch.append(page)
                if len(batch) >= batch_pages:
                    events += _put_batch(batch, window, put)
                    batch = []
            events += _put_batch(batch, window, put)
            put(WindowDone(window, events, pages, client.stats.retries))
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(_Failed(error))

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="box-window") as pool:
        for window in windows:
            pool.submit(work, window)
        done = 0
        try:
            while done < len(windows):
                item = items.get()
                if isinstance(item, _Failed):
                    raise item.error
                if isinstance(item, WindowDone):
                    done += 1
                yield item
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)


def _put_batch(batch: list[Page], window: Window, put: Callable[[_Item], None]) -> int:
    if not batch:
        return 0
    table = within(pa.concat_tables([page.events for page in batch]), window.start, window.end)
    if table.num_rows:
        put(table)
    return table.num_rows
