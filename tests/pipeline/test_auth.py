"""Each auth method against the emulator, token expiry mid-backfill, and no secret anywhere."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from box_emulator import ManualClock
from box_emulator.keys import make_app_config
from box_emulator.testing import running_emulator
from pipelines import jobs
from tests.conftest import NOW, api_for

START, END = NOW - timedelta(days=3), NOW - timedelta(days=1)


@pytest.mark.parametrize("method", ["developer_token", "client_credentials"])
def test_developer_token_and_client_credentials_load_exactly(warehouse, assert_exact, method):
    with running_emulator(clock=ManualClock(NOW), events_per_day=500) as (emu, srv):
        jobs.backfill(
            warehouse.pipeline(), start=START, end=END, api=api_for(srv, emu.config, method), now=NOW
        )
        assert_exact(warehouse, emu.oracle.event_ids(START, END))


def test_jwt_app_config_loads_exactly(warehouse, assert_exact, tmp_path: Path):
    app_config, public_pem = make_app_config(passphrase="correct horse")
    key_id = app_config["boxAppSettings"]["appAuth"]["publicKeyID"]
    config_file = tmp_path / "box_config.json"
    config_file.write_text(json.dumps(app_config))
    with running_emulator(
        clock=ManualClock(NOW),
        events_per_day=500,
        jwt_public_keys={key_id: public_pem},
        client_id=app_config["boxAppSettings"]["clientID"],
        client_secret=app_config["boxAppSettings"]["clientSecret"],
        enterprise_id=str(app_config["enterpriseID"]),
    ) as (emu, srv):
        api = api_for(srv, emu.config)
        api.credentials = {"jwt_config_file": str(config_file)}
        jobs.backfill(warehouse.pipeline(), start=START, end=END, api=api, now=NOW)
        assert_exact(warehouse, emu.oracle.event_ids(START, END))
        assert emu.stats_dict()["tokens_issued"] >= 1


def test_tokens_expiring_and_revoked_mid_backfill_are_renewed(warehouse, assert_exact):
    with running_emulator(
        clock=ManualClock(NOW),
        events_per_day=3000,
        token_ttl_seconds=1.0,
        token_revoke_rate=0.05,
        latency_ms=(5, 15),
    ) as (emu, srv):
        api = api_for(srv, emu.config, "client_credentials", concurrency=4)
        jobs.backfill(warehouse.pipeline(), start=NOW - timedelta(days=6), end=END, api=api, now=NOW)
        assert_exact(warehouse, emu.oracle.event_ids(NOW - timedelta(days=6), END))
        assert emu.stats_dict()["tokens_issued"] > 1, "no token expired: the test proves nothing"


def test_no_secret_reaches_the_warehouse_the_pipeline_state_or_the_logs(warehouse, caplog):
    caplog.set_level(logging.DEBUG)
    with running_emulator(clock=ManualClock(NOW), events_per_day=300, token_revoke_rate=0.2) as (emu, srv):
        jobs.backfill(
            warehouse.pipeline(),
            start=START,
            end=END,
            api=api_for(srv, emu.config, "client_credentials"),
            now=NOW,
        )
        secret = emu.config.client_secret.encode()
        tokens = [t.encode() for t in emu.auth._tokens]
    logged = caplog.text.encode()
    assert secret not in logged
    assert not any(token in logged for token in tokens)
    files = [p for p in warehouse.root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in files)
    for path in files:
        content = path.read_bytes()
        assert secret not in content, f"client secret found in {path}"
        assert not any(token in content for token in tokens), f"an access token found in {path}"


def test_short_lived_tokens_are_renewed_once_per_lifetime_not_once_per_request(warehouse, assert_exact):
    """A fixed one-minute renewal margin made every token under a minute "always expiring": one
    token request per API call. The margin is now a share of the lifetime."""
    import time

    ttl = 3.0
    with running_emulator(
        clock=ManualClock(NOW), events_per_day=4000, token_ttl_seconds=ttl, short_page_rate=0.5
    ) as (emu, srv):
        api = api_for(srv, emu.config, "client_credentials", concurrency=2, requests_per_minute=600)
        started = time.monotonic()
        jobs.backfill(warehouse.pipeline(), start=NOW - timedelta(days=4), end=END, api=api, now=NOW)
        elapsed = time.monotonic() - started
        assert_exact(warehouse, emu.oracle.event_ids(NOW - timedelta(days=4), END))
        stats = emu.stats_dict()
    assert stats["events_requests"] >= 3 * elapsed, "too few requests per second to tell the difference"
    lifetimes = elapsed / (ttl * 0.9)
    assert stats["tokens_issued"] <= lifetimes + 2, (stats["tokens_issued"], elapsed)
    assert stats["tokens_issued"] < stats["events_requests"] / 4
