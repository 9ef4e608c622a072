"""`boxevents report` and `boxevents dashboard` as a user runs them: the report's page lands where
`--out` says, the dashboard prints where it listens and answers there, and a missing warehouse is
one line (the pages themselves are checked in a browser by test_report.py / test_dashboard.py)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from pipelines.cli import app
from tests.transforms.world import World

ROOT = Path(__file__).resolve().parents[2]


def _where(world: World, tmp_path: Path) -> list[str]:
    """Options that find the world's warehouse; dlt's working folder in tmp so the world is untouched."""
    location = world.pipeline.destination_client().config.credentials.database
    return ["--duckdb-path", str(location), "--pipelines-dir", str(tmp_path / "pipelines")]


def test_report_writes_one_page_where_out_says(world, tmp_path):
    out = tmp_path / "audit" / "box.html"
    out.parent.mkdir()
    result = CliRunner().invoke(app, ["report", "--days", "20", "--out", str(out), *_where(world, tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"report: {out} (open it in a browser; it needs no server and no network)"
    page = out.read_text(encoding="utf-8")
    assert page.lower().startswith("<!doctype html>")
    assert page.count("Plotly.newPlot(") >= 5, "the charts are in the page"


def test_report_without_a_warehouse_is_one_line(tmp_path):
    missing = tmp_path / "nowhere.duckdb"
    result = CliRunner().invoke(app, ["report", "--duckdb-path", str(missing)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: no warehouse at ")
    assert not missing.exists()


def test_dashboard_prints_its_address_answers_there_and_stops_on_ctrl_c(world, tmp_path):
    command = [
        str(Path(sys.executable).with_name("boxevents")),
        "dashboard",
        "--port",
        "0",
        *_where(world, tmp_path),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            first = server.stdout.readline()
            found = re.fullmatch(
                r"dashboard at (http://127\.0\.0\.1:\d+/) \(read-only; Ctrl-C stops it\)\n", first
            )
            assert found, first
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(found.group(1), timeout=30) as answer:
                assert answer.status == 200
                assert "_dash-config" in answer.read().decode()
        finally:
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=30) == 0
