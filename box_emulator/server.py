"""Run the emulator over real HTTP: in a background thread (tests) or in the foreground (CLI).

Why uvicorn in a thread: tests and the pipeline talk to the emulator exactly as to Box, over
TCP on 127.0.0.1, while the test keeps a handle on the same `Emulator` (clock, oracle, stats).
Binding the socket ourselves makes `port=0` (a free port) known before the server starts.
"""

from __future__ import annotations

import socket
import sys
import threading
from typing import Any

import uvicorn

from box_emulator.app import BoxEmulatorApp
from box_emulator.clock import SystemClock
from box_emulator.config import EmulatorConfig
from box_emulator.emulator import Emulator


class EmulatorServer:
    """Context manager: serves `emulator` on host:port in a daemon thread."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self.host = host
        self.app = BoxEmulatorApp(emulator)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
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

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _close_connection(self, scope: dict[str, Any]) -> bool:
        """Close the TCP connection serving `scope` without answering (a dropped request)."""
        for protocol in list(self._server.server_state.connections):
            cycle = getattr(protocol, "cycle", None)
            if cycle is not None and getattr(cycle, "scope", None) is scope:
                protocol.transport.close()
                return True
        return False


def serve_forever(cfg: EmulatorConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve in the foreground until interrupted; prints the base URL and credentials."""
    emulator = Emulator(cfg, clock=SystemClock())
    app = BoxEmulatorApp(emulator)
    base = f"http://{host}:{port}"
    lines = [
        f"Box Events API emulator on {base}  (profile={cfg.profile}, seed={cfg.seed}, "
        f"events/day={cfg.events_per_day})",
        f"  API base URL:     {base}/2.0",
        f"  token URL:        {base}/oauth2/token",
        f"  enterprise id:    {cfg.enterprise_id}",
        f"  client id:        {cfg.client_id}",
        f"  client secret:    {cfg.client_secret}",
        f"  developer token:  {cfg.developer_token}   (admin; never expires)",
        f"  non-admin token:  {cfg.non_admin_token}",
        f"  oracle:           {base}/_emulator/oracle?created_after=...&created_before=...",
    ]
    print("\n".join(lines), file=sys.stdout, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
