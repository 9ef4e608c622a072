"""The GitHub Actions example in deploy/ci/ runs as written: its `run:` steps, in order, with the shell
GitHub uses and the environment the workflow maps (the secrets replaced by the emulator's
credentials), sync exactly the oracle's events and pass the freshness check; the next day's run
(the warehouse restored from the cache) adds nothing; a scheduled run that finds no warehouse fails
in one line instead of starting over. Skipped: the steps that are actions (`uses:`: checkout,
Python, the cache) and `make install` (this venv is the install)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from box_emulator import SystemClock
from box_emulator.testing import history_ending_at, running_emulator
from tests.conftest import Warehouse

WORKFLOW = Path(__file__).resolve().parents[1] / "deploy" / "ci" / "daily-sync.yml"
INSTALL = "make install"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
"""What a `run:` step without `shell:` runs in on a Linux runner."""


@dataclass
class StepRun:
    name: str
    returncode: int
    output: str
    seconds: float


def _workflow() -> dict[str, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"schedule", "workflow_dispatch"} <= set(triggers)
    assert [entry["cron"] for entry in triggers["schedule"]] == ["23 5 * * *"]
    return workflow


def _substitute(text: str, context: dict[str, str]) -> str:
    """GitHub's `${{ … }}`, for the expressions this test knows (any other is a failure)."""

    def value(match: re.Match[str]) -> str:
        assert match.group(1) in context, f"unknown expression in a step that runs: {match.group(0)}"
        return context[match.group(1)]

    return EXPRESSION.sub(value, text)


def _run_workflow(workspace: Path, context: dict[str, str], outside: dict[str, str]) -> list[StepRun]:
    """The job's `run:` steps in order, each with the job's and its own env, stopping at the first
    that fails (as a runner does)."""
    (job,) = _workflow()["jobs"].values()
    job_env = {k: _substitute(str(v), context) for k, v in job.get("env", {}).items()}
    runs: list[StepRun] = []
    for step in job["steps"]:
        if "uses" in step or step["run"].strip().startswith(INSTALL):
            continue
        assert "if" not in step and "shell" not in step and "working-directory" not in step, step
        step_env = {k: _substitute(str(v), context) for k, v in step.get("env", {}).items()}
        script = _substitute(step["run"], context)
        started = time.monotonic()
        result = subprocess.run(
            [*GITHUB_BASH, script],
            cwd=workspace,
            env={**outside, **job_env, **step_env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        seconds = time.monotonic() - started
        runs.append(StepRun(step["name"], result.returncode, result.stdout + result.stderr, seconds))
        if result.returncode != 0:
            break
    return runs


def _checkout(root: Path) -> Path:
    """A workspace as the runner leaves it after checkout and `make install`: .venv/ in it."""
    workspace = root / "workspace"
    workspace.mkdir(parents=True)
    (workspace / ".venv").symlink_to(Path(sys.executable).parents[1])
    return workspace


def test_the_workflow_syncs_checks_and_continues_the_next_day(tmp_path: Path, assert_exact):
    events = history_ending_at(datetime.now(UTC) - timedelta(hours=1), hours=20)
    with running_emulator(clock=SystemClock(), replay_events=events) as (emu, srv):
        now = datetime.now(UTC)
        expected = emu.oracle.event_ids(now - timedelta(days=1), now)  # what a first sync reads
        assert expected == {e["event_id"] for e in events}
        config = emu.config
        secrets = {
            "secrets.BOX_CLIENT_ID": config.client_id,
            "secrets.BOX_CLIENT_SECRET": config.client_secret,
            "secrets.BOX_ENTERPRISE_ID": config.enterprise_id,
        }
        # the runner's environment: Box's URLs are the product's defaults, here the emulator's
        outside = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "SOURCES__BOX_EVENTS__API_BASE_URL": srv.api_base_url,
            "SOURCES__BOX_EVENTS__TOKEN_URL": srv.token_url,
        }
        workspace = _checkout(tmp_path)
        warehouse = Warehouse(workspace / "warehouse")
        warehouse.path = warehouse.root / "box_audit.duckdb"  # the workflow's DuckDB file

        first = _run_workflow(workspace, {**secrets, "inputs.new_warehouse": "true"}, outside)
        assert [(r.name, r.returncode) for r in first] == [("Sync", 0), ("Check freshness", 0)], first
        assert re.search(r"sync: \d+ windows? loaded", first[0].output)
        assert first[1].output.startswith("ok:"), first[1].output
        assert_exact(warehouse, expected)

        # the next day's scheduled run: the cache gave back the folder, the input is empty
        again = _run_workflow(workspace, {**secrets, "inputs.new_warehouse": ""}, outside)
        assert [(r.name, r.returncode) for r in again] == [("Sync", 0), ("Check freshness", 0)], again
        assert_exact(warehouse, expected)

        # a scheduled run whose cache was evicted: it stops before boxevents, creating nothing
        evicted = _checkout(tmp_path / "evicted")
        lost = _run_workflow(evicted, {**secrets, "inputs.new_warehouse": ""}, outside)
        assert [(r.name, r.returncode) for r in lost] == [("Sync", 1)]
        assert lost[0].output.startswith("::error::no warehouse in the cache")
        assert not (evicted / "warehouse").exists()
