"""Fixtures for the emulator's own tests: real HTTP on 127.0.0.1, one emulator per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from box_emulator import Emulator, EmulatorServer
from box_emulator.testing import running_emulator

StartEmulator = Callable[..., tuple[Emulator, EmulatorServer]]


@pytest.fixture
def emulator_server() -> Iterator[StartEmulator]:
    """Factory: `emulator_server(**EmulatorConfig fields, now=..., clock=...)` -> (emu, srv)."""
    with ExitStack() as stack:

        def start(**kwargs: Any) -> tuple[Emulator, EmulatorServer]:
            return stack.enter_context(running_emulator(**kwargs))

        yield start


@pytest.fixture
def emulator(emulator_server: StartEmulator) -> tuple[Emulator, EmulatorServer]:
    """A clean-profile emulator (seed 42, 2,000 events/day, manual clock at DEFAULT_TEST_NOW)."""
    return emulator_server()


@pytest.fixture
def http() -> Iterator[Callable[..., httpx.Client]]:
    """Factory: `http(srv, token=None)` -> an httpx client on the API base URL."""
    with ExitStack() as stack:

        def make(srv: EmulatorServer, token: str | None = None) -> httpx.Client:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            client = httpx.Client(base_url=srv.api_base_url, headers=headers, timeout=10.0)
            return stack.enter_context(client)

        yield make
