"""The Dagster recipe in deploy/dagster/ runs as a user runs it: `dagster asset materialize` loads both
assets from the emulator into DuckDB (exactly the oracle's events, the dbt tables built, the numbers
in the assets' metadata); the schedule's job, run again, adds nothing; the schedule is every 15
minutes; and an asset waits for the warehouse's lock like any `boxevents` run.

The world is a generated day moved to end an hour ago, on the real clock (Dagster's runs take their
"now" from it): nothing new arrives, so the second run must find exactly nothing. The second run is
in this process (`execute_in_process` on the same DAGSTER_HOME): the CLI costs about 15 s of start-up
a run on this machine, the first run already proves the command."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from dagster import AssetKey, DagsterInstance

from box_emulator import SystemClock
from box_emulator.testing import history_ending_at, running_emulator
from pipelines.warehouse import Warehouse, write_lock

DEFINITIONS = Path(__file__).resolve().parents[1] / "deploy" / "dagster" / "definitions.py"
VENV_BIN = Path(sys.executable).parent
ASSETS = {"box_admin_logs", "box_audit_tables"}


def _dagster_env(root: Path, srv, config, duckdb_file: Path) -> dict[str, str]:
    """What a user sets: the product's own variables (Client Credentials, the API pointed at the
    emulator, the DuckDB file) and a DAGSTER_HOME whose dagster.yaml turns telemetry off."""
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "HOME": str(root),
        "DAGSTER_HOME": str(home),
        "SOURCES__BOX_EVENTS__API_BASE_URL": srv.api_base_url,
        "SOURCES__BOX_EVENTS__TOKEN_URL": srv.token_url,
        "SOURCES__BOX_EVENTS__CREDENTIALS__CLIENT_ID": config.client_id,
        "SOURCES__BOX_EVENTS__CREDENTIALS__CLIENT_SECRET": config.client_secret,
        "SOURCES__BOX_EVENTS__CREDENTIALS__ENTERPRISE_ID": config.enterprise_id,
        "DESTINATION__DUCKDB__CREDENTIALS": str(duckdb_file),
    }


def _materialize_with_the_cli(cwd: Path, env: dict[str, str]) -> None:
    command = ["dagster", "asset", "materialize", "-f", str(DEFINITIONS), "--select", "*"]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RUN_SUCCESS" in result.stderr, result.stderr[-3000:]


def _metadata(instance: DagsterInstance, asset: str) -> dict[str, object]:
    """The metadata of the asset's latest materialisation, as Dagster stored it."""
    event = instance.get_latest_materialization_event(AssetKey(asset))
    assert event is not None and event.asset_materialization is not None
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def _load_definitions() -> ModuleType:
    """deploy/dagster/definitions.py as `dagster -f` loads it (a file, not a package)."""
    spec = importlib.util.spec_from_file_location("box_audit_dagster_definitions", DEFINITIONS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dagster_materialises_both_assets_exactly_and_again_adds_nothing(
    warehouse, assert_exact, monkeypatch: pytest.MonkeyPatch
):
    events = history_ending_at(datetime.now(UTC) - timedelta(hours=1), hours=20)
    with running_emulator(clock=SystemClock(), replay_events=events) as (emu, srv):
        now = datetime.now(UTC)
        expected = emu.oracle.event_ids(now - timedelta(days=1), now)  # what a first sync reads
        assert expected == {e["event_id"] for e in events}
        env = _dagster_env(warehouse.root, srv, emu.config, warehouse.path)

        _materialize_with_the_cli(warehouse.root, env)
        assert_exact(warehouse, expected)
        with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            loaded = _metadata(instance, "box_admin_logs")
            built = _metadata(instance, "box_audit_tables")
        assert loaded["events_new"] == loaded["events_read"] == len(expected) and loaded["windows"] >= 1
        assert built["mode"] == "full" and built["models_built"] > 0
        tables = {row[0] for row in warehouse.query("SELECT table_name FROM information_schema.tables")}
        assert set(built["rows"]) <= tables and {"stg_box__events", "dim_users", "detections"} <= tables
        assert warehouse.query("SELECT count(*) FROM box_events.stg_box__events") == [(len(expected),)]

        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(warehouse.root)
        definitions = _load_definitions()
        job = definitions.defs.resolve_job_def(definitions.box_audit_schedule.job_name)
        with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            assert job.execute_in_process(instance=instance).success
            again = _metadata(instance, "box_admin_logs")
            rebuilt = _metadata(instance, "box_audit_tables")
        assert_exact(warehouse, expected)
        assert again["events_new"] == 0 and again["events_read"] > 0, "the overlap is read again, adds 0"
        assert rebuilt["mode"] == "noop" and rebuilt["models_built"] == 0


def test_the_schedule_runs_the_job_of_both_assets_every_15_minutes():
    definitions = _load_definitions()
    schedule = definitions.defs.resolve_schedule_def("box_audit_every_15_minutes")
    assert schedule.cron_schedule == "*/15 * * * *" and schedule.execution_timezone == "UTC"
    job = definitions.defs.resolve_job_def(schedule.job_name)
    assert {key.to_user_string() for key in job.asset_layer.executable_asset_keys} == ASSETS


def test_an_asset_waits_for_the_lock_a_cron_run_holds_and_names_it(tmp_path: Path, monkeypatch):
    """A `boxevents sync` from cron holds the warehouse: the Dagster run writes nothing and says who."""
    duckdb_file = tmp_path / "box_audit.duckdb"
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(duckdb_file))
    definitions = _load_definitions()
    monkeypatch.setattr(definitions, "LOCK_WAIT", timedelta(0))  # the recipe waits 10 minutes
    job = definitions.defs.resolve_job_def("box_audit_sync")
    with write_lock(Warehouse.resolve("duckdb", "box_events", duckdb_file), "boxevents sync --wait 10m"):
        result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    error = result.failure_data_for_node("box_admin_logs").error
    assert error.cause is not None and error.cause.cls_name == "WarehouseBusy"
    assert "boxevents sync --wait 10m" in error.cause.message
    assert not duckdb_file.exists()
