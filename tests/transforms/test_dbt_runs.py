"""What a user of `boxevents transform` and `boxevents docs` sees: a failing data test is one line
per test and leaves the load committed; the docs page documents every model offline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.cli import app
from tests.conftest import NOW, api_for
from transforms import TransformFailed, run_transforms
from transforms.project import list_models


@pytest.fixture
def small(tmp_path):
    pipeline = jobs.make_pipeline(duckdb_path=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pipelines")
    with running_emulator(clock=ManualClock(NOW), events_per_day=300) as (emu, srv):
        jobs.backfill(pipeline, start=NOW - timedelta(days=2), end=NOW - timedelta(days=1),
                      api=api_for(srv, emu.config), now=NOW)  # fmt: skip
    run_transforms(pipeline)
    return tmp_path, pipeline


def test_a_failing_data_test_is_one_line_per_test_and_the_load_stays(small):
    root, pipeline = small
    with pipeline.sql_client() as client:
        raw, loads = (
            client.make_qualified_table_name("admin_logs"),
            client.make_qualified_table_name("_dlt_loads"),
        )
        client.execute_sql(  # a load that brought one event twice: staging's unique test must catch it
            f"insert into {loads} (load_id, schema_name, status, inserted_at, schema_version_hash) "
            f"select '9999999999.1', schema_name, 0, inserted_at, schema_version_hash from {loads} limit 1"
        )
        for _ in range(2):
            client.execute_sql(
                f"insert into {raw} by name select * replace ('9999999999.1' as _dlt_load_id, "
                f"'dup-1' as event_id) from {raw} limit 1"
            )
        before = client.execute_sql(f"select count(*) from {raw}")[0][0]
    with pytest.raises(TransformFailed) as failed:
        run_transforms(pipeline)
    # the raw table's own test catches it first (and dbt skips what depends on it)
    unique = "data test source_unique_box_events_admin_logs_event_id failed: Got 1 result"
    assert failed.value.lines == [f"{unique}, configured to fail if != 0"]
    result = CliRunner().invoke(
        app,
        ["transform", "--duckdb-path", str(root / "w.duckdb"), "--pipelines-dir", str(root / "pipelines")],
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("error: the transforms failed") and "Traceback" not in result.output
    assert lines[1:] == [f"{unique}, configured to fail if != 0"]
    with pipeline.sql_client() as client:
        assert client.execute_sql(f"select count(*) from {raw}")[0][0] == before


def test_the_docs_page_documents_every_model_and_opens_offline(small):
    root, _ = small
    out = root / "docs.html"
    result = CliRunner().invoke(
        app,
        [
            "docs",
            "--out",
            str(out),
            "--duckdb-path",
            str(root / "w.duckdb"),
            "--pipelines-dir",
            str(root / "pipelines"),
        ],
    )
    assert result.exit_code == 0, result.output
    page = out.read_text()
    for model in list_models():
        assert f'"{model.name}"' in page or f"model.box_audit.{model.name}" in page, model.name
    assert "subject_user_login" in page and "One row per Box user" in page
    assert '<script src="http' not in page and '<link href="http' not in page, (
        "the page loads something from the network"
    )


def test_a_dbt_user_can_build_the_project_by_hand_with_the_committed_profile(small, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root, _ = small
    dbt = str(Path(sys.executable).with_name("dbt"))
    sql = Path(__file__).resolve().parents[2] / "sql"
    result = subprocess.run(
        [
            dbt,
            "build",
            "--profiles-dir",
            ".",
            "--target-path",
            str(tmp_path / "t"),
            "--log-path",
            str(tmp_path / "l"),
        ],
        cwd=sql,
        env={**os.environ, "DESTINATION__DUCKDB__CREDENTIALS": str(root / "w.duckdb"), "DO_NOT_TRACK": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "Completed successfully" in result.stdout and "ERROR=0" in result.stdout


def test_dbt_duckdb_is_closed_once_its_last_call_ends_and_a_stuck_one_still_fails():
    """DuckDB refuses to close a connection while one of dbt's threads finishes a call on it."""
    import duckdb
    import pytest

    from transforms.runner import _close_when_free

    attempts: list[int] = []

    def busy_twice() -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise duckdb.ResourceInUseException("connection is busy with another call")

    _close_when_free(busy_twice)
    assert len(attempts) == 3

    def always_busy() -> None:
        raise duckdb.ResourceInUseException("connection is busy with another call")

    with pytest.raises(duckdb.ResourceInUseException):
        _close_when_free(always_busy, timeout_s=0.2)
