"""Shared test helpers: a warehouse per test, the emulator's credentials as pipeline options, and the
questions every exactness test asks (which event ids are loaded, which does the oracle expect)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines import jobs

# A fixed "now" for emulators on a ManualClock: tests never depend on the real date.
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
MIDNIGHT = NOW.replace(hour=0)
"""Day-aligned ranges make one window per day."""


def credentials_for(config: Any, method: str = "developer_token") -> dict[str, str]:
    """The emulator's accepted credentials in the pipeline's configuration shape."""
    if method == "developer_token":
        return {"developer_token": config.developer_token}
    if method == "client_credentials":
        return {
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "enterprise_id": config.enterprise_id,
        }
    raise ValueError(method)


def api_for(server: Any, config: Any, method: str = "developer_token", **options: Any) -> jobs.ApiOptions:
    """Pipeline options that point at a running emulator (generous rate limit: tests are local)."""
    options.setdefault("requests_per_minute", 60_000)
    options.setdefault("max_retry_wait_s", 60)
    return jobs.ApiOptions(
        api_base_url=server.api_base_url,
        token_url=server.token_url,
        credentials=credentials_for(config, method),
        **options,
    )


class Warehouse:
    """A DuckDB file and dlt working directory of one test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "warehouse.duckdb"
        self.pipelines_dir = root / "pipelines"

    def pipeline(self):
        return jobs.make_pipeline(duckdb_path=self.path, pipelines_dir=self.pipelines_dir)

    def query(self, sql: str) -> list[tuple]:
        if not self.path.exists():
            return []
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def event_ids(self) -> list[str]:
        """Every loaded event id, duplicates kept (so a test sees a double as a double)."""
        try:
            return [row[0] for row in self.query("SELECT event_id FROM box_events.admin_logs")]
        except duckdb.CatalogException:
            return []

    def ledger(self) -> list[tuple]:
        return self.query(
            "SELECT window_start, window_end, event_types, events_read, _dlt_load_id "
            "FROM box_events.window_ledger ORDER BY window_start"
        )


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path)


@pytest.fixture
def assert_exact() -> Callable[[Warehouse, set[str]], None]:
    def check(warehouse: Warehouse, expected: set[str]) -> None:
        loaded = warehouse.event_ids()
        assert len(loaded) == len(set(loaded)), "an event was loaded twice"
        missing, extra = expected - set(loaded), set(loaded) - expected
        assert not missing and not extra, f"{len(missing)} missing, {len(extra)} unexpected"
        assert expected, "the oracle expected no events: the test proves nothing"

    return check


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory):
    """Fifteen days of the default mix (every type, unlisted ones included) with one planted
    incident of every kind, loaded from the emulator and transformed, in DuckDB: one per worker,
    shared by the transform, report and dashboard tests (defined here, once, so a worker running
    both folders builds it once). Tests must not modify it."""
    from tests.transforms.world import EVENTS_PER_DAY, SCENARIOS, build_world

    root: Path = tmp_path_factory.mktemp("world")
    return build_world(root, seed=11, events_per_day=EVENTS_PER_DAY, scenarios=SCENARIOS)
