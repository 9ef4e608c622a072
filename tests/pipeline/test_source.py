"""The public source is a user's interface: a few named arguments, configuration the dlt way, and it
runs on its own with `pipeline.run(...)`."""

from __future__ import annotations

import inspect
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from box_emulator import SystemClock
from box_emulator.testing import running_emulator
from pipelines.box_events import box_events
from pipelines.box_events.config import BoxClientCredentials, BoxDeveloperToken, resolve_api
from pipelines.box_events.exceptions import ConfigurationError
from pipelines.box_events.settings import DEFAULT_CONCURRENCY, DEFAULT_REQUESTS_PER_MINUTE

JOBS_PLUMBING = {"plan", "checkpoint", "windows", "kind", "on_window"}


def test_the_source_takes_at_most_seven_arguments_and_none_of_the_jobs_plumbing():
    parameters = inspect.signature(box_events).parameters
    assert len(parameters) <= 7
    assert not JOBS_PLUMBING & set(parameters)
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def test_the_source_runs_on_its_own_and_loads_exactly(warehouse, assert_exact, monkeypatch):
    now = datetime.now(UTC).replace(microsecond=0)
    with running_emulator(clock=SystemClock(), events_per_day=800) as (emu, srv):
        monkeypatch.setenv("SOURCES__BOX_EVENTS__API_BASE_URL", srv.api_base_url)
        monkeypatch.setenv("SOURCES__BOX_EVENTS__TOKEN_URL", srv.token_url)
        monkeypatch.setenv("SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN", emu.config.developer_token)
        start, end = now - timedelta(days=3), now - timedelta(days=1)
        warehouse.pipeline().run(box_events(start_date=start, end_date=end, window_size="12h"))
        assert_exact(warehouse, emu.oracle.event_ids(start, end))
        lanes = warehouse.query("SELECT DISTINCT first_lane FROM box_events.admin_logs")
        assert lanes == [("admin_logs",)]
        ledger = warehouse.ledger()
        assert (ledger[0][0], ledger[-1][1]) == (start, end)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ledger))


def test_an_argument_beats_the_environment_which_beats_the_default(monkeypatch):
    monkeypatch.setenv("SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN", "t")
    config = resolve_api()
    assert (config.requests_per_minute, config.concurrency) == (
        DEFAULT_REQUESTS_PER_MINUTE,
        DEFAULT_CONCURRENCY,
    )
    assert isinstance(config.credentials, BoxDeveloperToken)
    monkeypatch.setenv("SOURCES__BOX_EVENTS__REQUESTS_PER_MINUTE", "120")
    assert resolve_api().requests_per_minute == 120
    assert resolve_api(requests_per_minute=60).requests_per_minute == 60


def test_credentials_resolve_to_the_first_complete_flow_or_say_what_each_lacks(monkeypatch):
    for name in ("CLIENT_ID", "CLIENT_SECRET"):
        monkeypatch.setenv(f"SOURCES__BOX_EVENTS__CREDENTIALS__{name}", "x")
    with pytest.raises(ConfigurationError) as missing:
        resolve_api()
    message = str(missing.value)
    assert "client_id, client_secret given" in message and "Client Credentials lacks enterprise_id" in message
    assert "\n" not in message and "x" not in message.split("given")[0].split("(")[-1].replace("client", "")
    monkeypatch.setenv("SOURCES__BOX_EVENTS__CREDENTIALS__ENTERPRISE_ID", "42")
    assert isinstance(resolve_api().credentials, BoxClientCredentials)


def test_a_bad_number_is_one_line_naming_the_flag(monkeypatch):
    monkeypatch.setenv("SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN", "t")
    with pytest.raises(
        ConfigurationError, match=r"concurrency must be a positive number \(got 0\): pass --concurrency"
    ):
        resolve_api(concurrency=0)
