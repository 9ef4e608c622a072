"""Run the emulator over real HTTP: in a background thread (tests) or in the foreground (CLI).

Why uvicorn in a thread: tests and the pipeline talk to the emulator exactly as to Box, over
TCP on 127.0.0.1, while the test keeps a handle on the same `Emulator` (clock, oracle, stats).
Binding the socket ourselves makes `port=0` (a free port) known before the server starts, and
makes a busy port one clear error (`PortInUse`) before anything is printed, with no race
between checking the port and serving on it. Both ways of running share `EmulatorServer`, so
both can drop a connection on purpose without raising (see `_close_connection`).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
import threading
from typing import Any

import uvicorn

from box_emulator.app import BoxEmulatorApp
from box_emulator.clock import SystemClock
from box_emulator.config import EmulatorConfig
from box_emulator.emulator import Emulator


class PortInUse(OSError):
    """The port is taken by another process (the emulator cannot serve there)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} on {host} is already in use")
        self.host = host
        self.port = port

    def __str__(self) -> str:
        return str(self.strerror)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (0 = any free port); `PortInUse` if it is taken.

    Listening right away lets clients connect (they wait in the backlog) as soon as the port is
    known, even before uvicorn has started accepting.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(host, port) from None
        raise
    return sock


class EmulatorServer:
    """Context manager: serves `emulator` on host:port in a daemon thread (or `run()` it)."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self.host = host
        self.app = BoxEmulatorApp(emulator)
        self._sock = bind(host, port)
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self.app.connection_closer = self._close_connection

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}/2.0"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth2/token"

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            daemon=True,
            name=f"box-emulator-{self.port}",
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the emulator server failed to start")
            self._thread.join(0.01)
        return self

    def run(self) -> None:
        """Serve in the calling thread until SIGINT/SIGTERM; Ctrl-C returns quietly."""
        try:
            self._server.run(sockets=[self._sock])
        except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it shut down on
            pass
        finally:
            self._sock.close()

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _close_connection(self, scope: dict[str, Any]) -> bool:
        """Close the TCP connection serving `scope` without answering (a dropped request).

        Waits until uvicorn has seen the connection go (what was already sent is flushed first),
        so it takes the unfinished answer for a client that left, not for a broken app; a client
        that never reads gets the connection aborted after a second.
        """
        for protocol in list(self._server.server_state.connections):
            cycle = getattr(protocol, "cycle", None)
            if cycle is not None and getattr(cycle, "scope", None) is scope:
                protocol.transport.close()
                for attempt in range(200):
                    await asyncio.sleep(0 if attempt < 3 else 0.005)
                    if cycle.disconnected:
                        return True
                protocol.transport.abort()
                await asyncio.sleep(0)
                return True
        return False


def banner(server: EmulatorServer, cfg: EmulatorConfig) -> str:
    """What the foreground emulator prints: its real URLs (the bound port) and credentials."""
    base = server.base_url
    lines = [
        f"Box Events API emulator on {base}  (profile={cfg.profile}, seed={cfg.seed}, "
        f"events/day={cfg.events_per_day})",
        f"  API base URL:     {server.api_base_url}",
        f"  token URL:        {server.token_url}",
        f"  enterprise id:    {cfg.enterprise_id}",
        f"  client id:        {cfg.client_id}",
        f"  client secret:    {cfg.client_secret}",
        f"  developer token:  {cfg.developer_token}   (admin; never expires)",
        f"  non-admin token:  {cfg.non_admin_token}",
        f"  oracle:           {base}/_emulator/oracle?created_after=...&created_before=...",
    ]
    return "\n".join(lines)


def serve_forever(cfg: EmulatorConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve in the foreground until interrupted; prints the base URL and credentials.

    Raises `PortInUse` before printing anything when the port is taken. The emulator's own
    log lines (one per fault it makes on purpose) go to stderr as bare messages.
    """
    server = EmulatorServer(Emulator(cfg, clock=SystemClock()), host, port)
    _log_to_stderr()
    print(banner(server, cfg), file=sys.stdout, flush=True)
    server.run()


def _log_to_stderr() -> None:
    logger = logging.getLogger("box_emulator")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
