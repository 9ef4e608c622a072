"""Bad input: one line that says what to change, exit code 2, and the warehouse left as it was."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from box_emulator import SystemClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.cli import app
from tests.conftest import api_for


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CASES = {
    "unparseable date": (["--start", "last tuesday-ish"], {}, "cannot read --start"),
    "reversed dates": (["--start", "3d", "--end", "5d"], {}, "is not before the end"),
    "unknown destination": (["--start", "3d", "--destination", "nosuchwarehouse"], {}, "unknown destination"),
    "missing credentials": (["--start", "3d"], {"drop_credentials": True}, "no complete Box credentials"),
    "wrong credentials": (
        ["--start", "3d"],
        {
            "SOURCES__BOX_EVENTS__CREDENTIALS__CLIENT_ID": "emu0client0id0000000000000000001",
            "SOURCES__BOX_EVENTS__CREDENTIALS__CLIENT_SECRET": "not-the-secret",
            "SOURCES__BOX_EVENTS__CREDENTIALS__ENTERPRISE_ID": "818181",
            "drop_credentials": True,
        },
        "Box refused the credentials",
    ),
    "unreachable API": (
        ["--start", "3d"],
        {
            "SOURCES__BOX_EVENTS__API_BASE_URL": f"http://127.0.0.1:{_closed_port()}/2.0",
            "SOURCES__BOX_EVENTS__MAX_ATTEMPTS": "2",
            "SOURCES__BOX_EVENTS__MAX_RETRY_WAIT_S": "1",
        },
        "cannot reach",
    ),
    "non-admin token": (["--start", "3d"], {"non_admin": True}, "manage_enterprise_properties"),
    "malformed event type": (
        ["--start", "3d", "--event-types", "LOGIN,drop table"],
        {},
        "invalid event type",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_loses_nothing(warehouse, case):
    args, changes, expected = CASES[case]
    changes = dict(changes)
    drop_credentials = changes.pop("drop_credentials", False)
    non_admin = changes.pop("non_admin", False)
    now = datetime.now(UTC)
    with running_emulator(clock=SystemClock(), events_per_day=300) as (emu, srv):
        jobs.backfill(
            warehouse.pipeline(),
            start=now - timedelta(days=8),
            end=now - timedelta(days=6),
            api=api_for(srv, emu.config),
        )
        before_rows, before_ledger = sorted(warehouse.event_ids()), warehouse.ledger()
        assert before_rows

        env = {
            "SOURCES__BOX_EVENTS__API_BASE_URL": srv.api_base_url,
            "SOURCES__BOX_EVENTS__TOKEN_URL": srv.token_url,
            "SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN": emu.config.developer_token,
        }
        if drop_credentials:
            env.pop("SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN")
        if non_admin:
            env["SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN"] = emu.config.non_admin_token
        env.update(changes)
        result = CliRunner().invoke(
            app,
            [
                "backfill",
                *args,
                "--duckdb-path",
                str(warehouse.path),
                "--pipelines-dir",
                str(warehouse.pipelines_dir),
                "--no-transform",
            ],
            env=env,
        )
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert lines[-1].startswith("error: ") and expected in lines[-1], result.output
    assert "Traceback" not in result.output
    assert emu.config.developer_token not in result.output
    assert sorted(warehouse.event_ids()) == before_rows
    assert warehouse.ledger() == before_ledger


def test_a_400_from_box_shows_boxs_own_message():
    from pipelines.box_events.auth import DeveloperTokenAuth
    from pipelines.box_events.client import BoxEventsClient
    from pipelines.box_events.exceptions import BoxRequestError
    from pipelines.box_events.ratelimit import RateLimiter
    from pipelines.box_events.retries import RequestStats, RetryPolicy

    with running_emulator() as (emu, srv):
        client = BoxEventsClient(
            srv.api_base_url,
            DeveloperTokenAuth(emu.config.developer_token),
            limiter=RateLimiter(6000),
            stats=RequestStats(),
            policy=RetryPolicy(),
        )
        with client, pytest.raises(BoxRequestError) as caught:
            client.get_page({"stream_type": "admin_logs", "created_after": "2099-01-01T00:00:00Z"})
    assert caught.value.status == 400
    assert str(caught.value).startswith("Box answered 400 bad_request: ")
    assert "future" in str(caught.value).lower() or "created_after" in str(caught.value)
