"""The command line: every command has help with an example; `query` answers from the warehouse."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.cli import app
from tests.conftest import MIDNIGHT, NOW, api_for

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    "backfill",
    "sync",
    "status",
    "transform",
    "query",
    "emulator",
    "demo",
    "docs",
    "detections",
    "report",
    "dashboard",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example: boxevents " + command in " ".join(result.output.split())


@pytest.fixture
def two_days(warehouse) -> tuple[list[str], int]:
    """A warehouse holding two days of emulator history: the CLI options that find it, and the
    oracle's event count."""
    with running_emulator(clock=ManualClock(NOW), events_per_day=400) as (emu, srv):
        jobs.backfill(
            warehouse.pipeline(),
            start=MIDNIGHT - timedelta(days=2),
            end=MIDNIGHT,
            api=api_for(srv, emu.config),
            now=NOW,
        )
        expected = len(emu.oracle.event_ids(MIDNIGHT - timedelta(days=2), MIDNIGHT))
    return ["--duckdb-path", str(warehouse.path), "--pipelines-dir", str(warehouse.pipelines_dir)], expected


def test_status_and_query_read_the_warehouse(two_days):
    where, expected = two_days
    status = CliRunner().invoke(app, ["status", *where], terminal_width=200)
    assert status.exit_code == 0, status.output
    assert f"events loaded: {expected:,}" in status.output
    assert "gaps: none" in status.output
    query = CliRunner().invoke(
        app, ["query", "SELECT COUNT(*) AS n FROM box_events.admin_logs", *where], terminal_width=200
    )
    assert query.exit_code == 0, query.output
    assert str(expected) in query.output
    bad = CliRunner().invoke(app, ["query", "SELECT * FROM no_such_table", *where])
    assert bad.exit_code == 2 and bad.output.strip().startswith("error: the query failed")


def test_transform_takes_the_company_domains_from_the_command_line(warehouse, two_days):
    where, _ = two_days
    external = "SELECT COUNT(*) FROM box_events.mart_external_sharing"
    as_example = CliRunner().invoke(app, ["transform", "--company-domain", "example.com", *where])
    assert as_example.exit_code == 0, as_example.output
    n_example = warehouse.query(external)[0][0]
    as_other = CliRunner().invoke(app, ["transform", "--company-domain", "other.example", *where])
    assert as_other.exit_code == 0, as_other.output
    assert warehouse.query(external)[0][0] > n_example, "with a foreign domain, more sharing is external"


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_the_product_does_not_import_the_emulator():
    """The emulator is the `emulator` extra: loading, querying, transforming and the CLI itself
    never import it; only the `emulator` and `demo` commands do."""
    result = _python(
        "import sys\n"
        "import pipelines.cli, pipelines.jobs, pipelines.status, pipelines.detections, pipelines.query\n"
        "import transforms, transforms.runner\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('box_emulator', 'uvicorn')))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("command", ["emulator", "demo"])
def test_without_the_emulator_extra_its_commands_say_how_to_get_it(command):
    result = _python(
        "import sys\n"
        "sys.modules['uvicorn'] = None  # as if the extra were not installed\n"
        f"sys.argv = ['boxevents', '{command}']\n"
        "from pipelines.cli import run\n"
        "run()"
    )
    assert result.returncode == 2
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines == [
        "error: the Box emulator is not installed: pip install 'box-audit-events[emulator]' "
        "(the repo's `make install` includes it)"
    ]


def test_a_sync_and_the_live_lane_cap_duckdb_lower_than_a_backfill(warehouse, monkeypatch):
    """A sync (and a poll of the live lane) loads a few thousand events, and its lookup of their
    ids reads `event_id` over the whole table through DuckDB's cache: it runs with
    SYNC_DUCKDB_MEMORY_LIMIT, so its memory stops growing with the table sooner; a backfill keeps
    the default cap for its 250,000-row loads."""
    from box_emulator import SystemClock
    from pipelines.box_events.settings import DUCKDB_SETTINGS, SYNC_DUCKDB_MEMORY_LIMIT

    caps: dict[str, str] = {}
    real_make_pipeline = jobs.make_pipeline

    def recording(*args, **kwargs):
        pipeline = real_make_pipeline(*args, **kwargs)
        with pipeline.sql_client() as client:
            caps[command] = client.execute_sql("SELECT current_setting('memory_limit')")[0][0]
        return pipeline

    monkeypatch.setattr(jobs, "make_pipeline", recording)
    where = ["--duckdb-path", str(warehouse.path), "--pipelines-dir", str(warehouse.pipelines_dir)]
    with running_emulator(clock=SystemClock(), events_per_day=50) as (emu, srv):
        env = {
            "SOURCES__BOX_EVENTS__API_BASE_URL": srv.api_base_url,
            "SOURCES__BOX_EVENTS__TOKEN_URL": srv.token_url,
            "SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN": emu.config.developer_token,
        }
        commands = {"backfill": ["--start", "1d", "--no-transform"], "sync": ["--no-transform"], "stream": []}
        for command, args in commands.items():
            result = CliRunner().invoke(app, [command, *args, *where], env=env)
            assert result.exit_code == 0, result.output
    with (
        duckdb_cap(DUCKDB_SETTINGS["memory_limit"]) as default,
        duckdb_cap(SYNC_DUCKDB_MEMORY_LIMIT) as small,
    ):
        assert caps == {"backfill": default, "sync": small, "stream": small} and small != default


@contextmanager
def duckdb_cap(limit: str):
    """How DuckDB shows `limit` in `current_setting('memory_limit')` (e.g. 128MB as 122.0 MiB)."""
    import duckdb

    with duckdb.connect(config={"memory_limit": limit}) as con:
        yield con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
