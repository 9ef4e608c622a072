"""Stopping a job cleanly on Ctrl-C or SIGTERM.

A signal handler only records the request. Raising from the handler itself (Python's default for
Ctrl-C) lands wherever the main thread happens to be, and in a weakref callback or a finaliser
Python prints the exception and drops it: the stop was lost and the job ran to its end. Instead the
job checks the request where stopping is safe, between pages it hands to dlt and between
checkpoints, and raises `StopRequested` there. A second signal stops at once: everything committed
stays, and what was in flight is read again by the next run, as after a `kill -9`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class StopRequested(KeyboardInterrupt):
    """The job was asked to stop (a KeyboardInterrupt, so code that lets Ctrl-C through lets it through)."""

    def __init__(self, signum: int) -> None:
        super().__init__(NAMES.get(signum, f"signal {signum}"))
        self.signum = signum
        self.name = NAMES.get(signum, f"signal {signum}")
        self.exit_code = EXIT_CODES.get(signum, 128 + signum)


_requested: int | None = None
_lock = threading.Lock()
_asked = threading.Event()


def request(signum: int, frame: FrameType | None = None) -> None:
    """The signal handler: the first signal asks the job to stop, the second leaves at once."""
    global _requested
    with _lock:
        first = _requested is None
        _requested = signum if first else _requested
    _asked.set()
    if not first:
        sys.stderr.write("stopping at once (second signal); the same command resumes\n")
        sys.stderr.flush()
        os._exit(EXIT_CODES.get(signum, 128 + signum))


def check() -> None:
    """Raise StopRequested if a stop was asked for."""
    if _requested is not None:
        raise StopRequested(_requested)


def wait() -> None:
    """Block until a stop is asked for: a server's main thread (the dashboard), whose work runs in
    other threads. Without `install` (a library caller), Ctrl-C arrives as KeyboardInterrupt."""
    while not _asked.wait(timeout=1.0):
        pass


def install() -> None:
    """Route SIGINT and SIGTERM to `request` (main thread only, as Python requires)."""
    if threading.current_thread() is threading.main_thread():
        for signum in EXIT_CODES:
            signal.signal(signum, request)


def reset() -> None:
    """Forget a request (a process that runs several jobs, e.g. tests)."""
    global _requested
    with _lock:
        _requested = None
        _asked.clear()
