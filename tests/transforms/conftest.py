"""Fixtures of the transform tests: one loaded and transformed warehouse per worker, reused by
the read-only tests (building it is the expensive part)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.transforms.world import SCENARIOS, World, build_world

EVENTS_PER_DAY = 700


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Twelve days of the default mix (every type, unlisted ones included) with one planted
    incident of every kind, in DuckDB. Tests must not modify it."""
    root: Path = tmp_path_factory.mktemp("world")
    return build_world(root, seed=11, events_per_day=EVENTS_PER_DAY, scenarios=SCENARIOS)
