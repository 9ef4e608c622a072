"""Profiles: hostile delivery still yields the oracle's set; faults replay from the seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from box_emulator import EmulatorConfig
from box_emulator.config import PROFILES
from box_emulator.testing import page_admin_logs

AFTER = datetime(2026, 11, 18, tzinfo=UTC)
BEFORE = datetime(2026, 11, 20, tzinfo=UTC)


def test_profile_defaults_and_per_knob_overrides():
    assert EmulatorConfig().knobs.error_rate == 0
    realistic = EmulatorConfig(profile="realistic").knobs
    assert realistic.rate_limit_per_minute == 1000 and 0 < realistic.short_page_rate < 0.1
    assert realistic.token_ttl_seconds == 300
    hostile = EmulatorConfig(profile="hostile").knobs
    assert hostile.positions_as_numbers and hostile.legacy_zero_position
    assert hostile.token_ttl_seconds <= 60 and max(hostile.retry_after_choices) <= 2
    assert EmulatorConfig(profile="hostile", drop_rate=0.0).knobs.drop_rate == 0.0
    assert EmulatorConfig(error_rate=0.5).knobs.error_rate == 0.5
    assert set(PROFILES) == {"clean", "realistic", "hostile"}


def test_hostile_paging_with_a_retrying_client_matches_the_oracle(emulator_server, http):
    emu, srv = emulator_server(profile="hostile", events_per_day=1000)
    client = http(srv, emu.config.developer_token)
    result = page_admin_logs(client, created_after=AFTER, created_before=BEFORE, limit=100)
    assert len(result.event_ids) == len(set(result.event_ids))
    assert set(result.event_ids) == emu.oracle.event_ids(AFTER, BEFORE)
    stats = emu.stats_dict()
    assert result.retries > 0 and stats["errors_5xx"] + stats["drops"] + stats["throttled_429"] > 0
    assert result.positions[-1] == "0"  # legacy zero on the terminal page


def _sequence(emu, srv) -> list[tuple[int, bytes]]:
    out = []
    with httpx.Client(
        base_url=srv.api_base_url,
        timeout=10,
        headers={"Authorization": f"Bearer {emu.config.developer_token}"},
    ) as c:
        position = None
        for _ in range(40):
            params = {
                "stream_type": "admin_logs",
                "created_after": AFTER.isoformat(),
                "created_before": BEFORE.isoformat(),
                "limit": 200,
            }
            if position:
                params["stream_position"] = position
            try:
                r = c.get("/events", params=params)
            except httpx.TransportError:
                out.append((-1, b"dropped"))
                continue
            out.append((r.status_code, r.content))
            if r.status_code == 200:
                position = str(r.json()["next_stream_position"])
    return out


def test_faults_are_reproducible_from_the_seed(emulator_server):
    knobs = {
        "profile": "hostile",
        "seed": 7,
        "latency_ms": (0, 0),
        "slow_rate": 0.0,
        "retry_after_choices": (0,),
        "error_rate": 0.15,
        "drop_rate": 0.1,
        "random_429_rate": 0.1,
    }
    first = _sequence(*emulator_server(**knobs))
    second = _sequence(*emulator_server(**knobs))
    assert first == second
    statuses = {status for status, _ in first}
    assert 200 in statuses and (statuses & {-1, 429, 500, 502, 503})
    other = _sequence(*emulator_server(**{**knobs, "seed": 8}))
    assert [s for s, _ in other] != [s for s, _ in first]


def test_realistic_latency_is_applied(emulator_server, http):
    emu, srv = emulator_server(profile="realistic", error_rate=0.0, short_page_rate=0.0)
    client = http(srv, emu.config.developer_token)
    r = client.get(
        "/events", params={"stream_type": "admin_logs", "limit": 1, "created_after": AFTER.isoformat()}
    )
    assert r.status_code == 200 and r.elapsed >= timedelta(milliseconds=20)
