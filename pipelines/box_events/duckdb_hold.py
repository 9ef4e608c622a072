"""Keep the DuckDB file open between the back-to-back checkpoints of one job: one checkpoint of
DuckDB's own for several loads.

dlt opens the DuckDB file for each load and closes it after, and its connections ask DuckDB to
checkpoint when the last one closes (`enable_checkpoint_on_shutdown`). A checkpoint after an append
to a table that already holds rows compresses the appended row groups again: on the local path (1.1M
events, 5 checkpoints) those closes took 7.9 s of the load step's 12 s; the same five loads
checkpointed once at the end, 2.6 s (scratch measurement, 2026-12-03). A connection of our own held
between loads keeps DuckDB's database open (dlt's connections in this process share it), so each
load still commits (durable: DuckDB's write-ahead log and the blocks written before the commit) and
the checkpoint waits for the hold to be let go.

DuckDB lets no other process in while the file is open, and a `boxevents query` waits at most 30 s
for it (`query.READ_WAIT_S`). So the hold is let go:
- as soon as the job waits for Box longer than `HOLD_IDLE_S` (`WindowFetcher`'s `on_idle`): an
  API-bound backfill, which spends most of its time waiting, leaves the file free as before;
- after a load, once it has been held `HOLD_MAX_S`; the next checkpoint's extract then runs with the
  file free, and the next load takes it again;
- at the end of the job; and it is not taken before the transforms that a backfill runs after its
  first checkpoint (they open the file their own way, with their own settings).

Only DuckDB: other destinations keep no file open and have no such checkpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import dlt
from dlt.destinations.exceptions import DestinationConnectionError

from . import lake
from .settings import HOLD_MAX_S

log = logging.getLogger(__name__)


class WarehouseHold:
    """Holds one connection to the job's DuckDB file between loads (see the module docstring)."""

    def __init__(
        self,
        pipeline: dlt.Pipeline,
        *,
        max_s: float = HOLD_MAX_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pipeline = pipeline
        self._enabled = lake.destination_name(pipeline) == "duckdb"
        self._max_s = max_s
        self._clock = clock
        self._client: Any = None
        self._since = 0.0
        self.takes = 0
        """How many times the file was taken (for tests)."""

    @property
    def held(self) -> bool:
        return self._client is not None

    def after_load(self) -> None:
        """A load committed: keep the file open for the next one, or let it go once held long enough."""
        if not self._enabled:
            return
        if self.held:
            if self._clock() - self._since >= self._max_s:
                self.release()
            return
        self._take()

    def release(self, *, quietly: bool = False) -> None:
        """Let the file go (DuckDB checkpoints if no other connection of this process is open).
        `quietly`: the job is failing already; a close that fails too (the full disk that stopped
        the load fails its checkpoint) must not hide that error. What the loads committed stays in
        DuckDB's log either way, and the next open replays it."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.close_connection()
        except Exception as exc:
            if not quietly:
                raise
            log.debug("letting the DuckDB file go failed too: %s", exc)

    def _take(self) -> None:
        client = self._pipeline.sql_client()
        try:
            client.open_connection()
        except DestinationConnectionError as exc:  # another program has the file: load as before
            log.debug("not holding the DuckDB file between loads: %s", exc)
            return
        self._client, self._since = client, self._clock()
        self.takes += 1

    def __enter__(self) -> WarehouseHold:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release(quietly=error is not None)
