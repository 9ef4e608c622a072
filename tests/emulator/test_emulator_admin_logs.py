"""admin_logs paging, filters, boundaries, positions and late arrival, over real HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import orjson

from box_emulator.day import ordinal_of
from box_emulator.positions import HISTORY_BASE
from box_emulator.testing import DEFAULT_TEST_NOW, page_admin_logs

NOW = DEFAULT_TEST_NOW
AFTER = datetime(2026, 11, 17, tzinfo=UTC)
BEFORE = datetime(2026, 11, 20, tzinfo=UTC)


def _created(event: dict) -> datetime:
    return datetime.fromisoformat(event["created_at"])


def test_paging_a_window_returns_exactly_the_oracle_ids(emulator, http):
    emu, srv = emulator
    client = http(srv, emu.config.developer_token)
    result = page_admin_logs(client, created_after=AFTER, created_before=BEFORE)
    ids = result.event_ids
    assert len(ids) == len(set(ids)), "admin_logs must not repeat events"
    assert set(ids) == emu.oracle.event_ids(AFTER, BEFORE)
    assert result.entries == emu.oracle.events(AFTER, BEFORE)
    times = [_created(e) for e in result.entries]
    assert times == sorted(times), "admin_logs is chronological"
    assert all(AFTER <= t < BEFORE for t in times)
    # the terminal page echoes the position sent
    assert result.positions[-1] == result.positions[-2]


def test_positions_are_strings_above_2_pow_53(emulator, http):
    emu, srv = emulator
    client = http(srv, emu.config.developer_token)
    r = client.get(
        "/events", params={"stream_type": "admin_logs", "limit": 10, "created_after": AFTER.isoformat()}
    )
    raw = re.search(rb'"next_stream_position":("?)(\d+)', r.content)
    assert raw is not None and raw.group(1) == b'"'
    assert int(raw.group(2)) > 2**53 and int(raw.group(2)) > HISTORY_BASE


def test_event_type_filter(emulator, http):
    emu, srv = emulator
    client = http(srv, emu.config.developer_token)
    types = ["DOWNLOAD", "FAILED_LOGIN", "AI_QUERY"]
    result = page_admin_logs(client, created_after=AFTER, created_before=BEFORE, event_types=types)
    assert result.entries and {e["event_type"] for e in result.entries} <= set(types)
    assert set(result.event_ids) == emu.oracle.event_ids(AFTER, BEFORE, types)


def _second_with_events(emu) -> datetime:
    day = emu.store.day(ordinal_of(int(AFTER.timestamp())) + 1)
    ts = day.ts[len(day.ts) // 2]
    return datetime.fromtimestamp(ts, UTC)


def test_created_after_inclusive_knob(emulator_server, http):
    for inclusive in (True, False):
        emu, srv = emulator_server(created_after_inclusive=inclusive)
        t = _second_with_events(emu)
        at_t = emu.oracle.event_ids(t, t + timedelta(seconds=1))
        assert at_t
        client = http(srv, emu.config.developer_token)
        got = set(page_admin_logs(client, created_after=t, created_before=t + timedelta(hours=1)).event_ids)
        assert (at_t <= got) is inclusive
        assert got - at_t == emu.oracle.event_ids(t + timedelta(seconds=1), t + timedelta(hours=1))


def test_created_before_inclusive_knob(emulator_server, http):
    for inclusive in (False, True):
        emu, srv = emulator_server(created_before_inclusive=inclusive)
        t = _second_with_events(emu)
        at_t = emu.oracle.event_ids(t, t + timedelta(seconds=1))
        client = http(srv, emu.config.developer_token)
        got = set(page_admin_logs(client, created_after=t - timedelta(hours=1), created_before=t).event_ids)
        assert (at_t <= got) is inclusive
        assert not (at_t & got) or inclusive


def _assert_client_error(r: httpx.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["type"] == "error" and body["status"] == status
    assert set(body) >= {"code", "message", "context_info", "help_url", "request_id"}
    if code:
        assert body["code"] == code
    return body


def test_bad_requests_answer_400_client_errors(emulator, http):
    emu, srv = emulator
    client = http(srv, emu.config.developer_token)
    base = {"stream_type": "admin_logs"}
    cases = [
        {"created_after": (NOW - timedelta(days=366)).isoformat()},  # beyond retention
        {"created_after": (NOW + timedelta(hours=1)).isoformat()},  # in the future
        {"created_after": "2026-11-20"},  # not RFC 3339
        {"created_after": "2026-11-20T10:00:00"},  # no offset
        {"created_before": "yesterday"},
        {"limit": "501"},
        {"limit": "0"},
        {"stream_position": "abc"},
        {"stream_position": "12345"},
        {"stream_position": str(2**60 + (999_999 << 24))},
        {"stream_type": "everything"},
    ]
    for extra in cases:
        _assert_client_error(client.get("/events", params={**base, **extra}), 400, "bad_request")
    r = client.get("/events", params={**base, "stream_position": "abc"})
    assert r.json()["message"] == "Invalid stream position"
    # an unencoded '+' in the offset arrives as a space
    url = f"{srv.api_base_url}/events?stream_type=admin_logs&created_after=2026-11-20T10:00:00+01:00"
    _assert_client_error(client.get(url), 400)
    ok = client.get("/events", params={**base, "created_after": "2026-11-20T10:00:00+01:00"})
    assert ok.status_code == 200


def test_401_and_403(emulator, http):
    emu, srv = emulator
    params = {"stream_type": "admin_logs", "created_after": AFTER.isoformat(), "limit": 1}
    r = http(srv).get("/events", params=params)
    _assert_client_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = http(srv, "not-a-token").get("/events", params=params)
    _assert_client_error(r, 401)
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    user = http(srv, emu.config.non_admin_token)
    for stream in ("admin_logs", "admin_logs_streaming"):
        r = user.get("/events", params={**params, "stream_type": stream})
        _assert_client_error(r, 403, "access_denied_insufficient_permissions")
    assert user.get("/events", params={"stream_type": "all"}).status_code == 200


def test_rate_limit_answers_429_with_retry_after(emulator_server, http):
    emu, srv = emulator_server(rate_limit_per_minute=3)
    client = http(srv, emu.config.developer_token)
    params = {"stream_type": "admin_logs", "created_after": AFTER.isoformat(), "limit": 1}
    statuses = [client.get("/events", params=params) for _ in range(5)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    r = statuses[3]
    _assert_client_error(r, 429, "rate_limit_exceeded")
    assert int(r.headers["retry-after"]) >= 1
    assert emu.stats_dict()["throttled_429"] == 2


def test_short_pages_do_not_end_the_window(emulator_server, http):
    emu, srv = emulator_server(short_page_rate=1.0)
    client = http(srv, emu.config.developer_token)
    after, before = AFTER, AFTER + timedelta(hours=12)
    result = page_admin_logs(client, created_after=after, created_before=before, limit=100)
    sizes = [len(result.entries)]
    assert sizes and result.pages > len(result.entries) // 100 + 1
    assert set(result.event_ids) == emu.oracle.event_ids(after, before)


def test_legacy_zero_and_numeric_positions(emulator_server, http):
    emu, srv = emulator_server(legacy_zero_position=True, positions_as_numbers=True)
    client = http(srv, emu.config.developer_token)
    params = {
        "stream_type": "admin_logs",
        "created_after": AFTER.isoformat(),
        "created_before": (AFTER + timedelta(minutes=30)).isoformat(),
        "limit": 500,
    }
    r = client.get("/events", params=params)
    assert re.search(rb'"next_stream_position":\d{19}', r.content)
    position = orjson.loads(r.content)["next_stream_position"]
    assert isinstance(position, int) and position > 2**53
    r = client.get("/events", params={**params, "stream_position": str(position)})
    body = orjson.loads(r.content)
    assert body["entries"] == [] and body["chunk_size"] == 0 and body["next_stream_position"] == 0


def test_stream_position_now_returns_latest(emulator, http):
    emu, srv = emulator
    client = http(srv, emu.config.developer_token)
    params = {"stream_type": "admin_logs", "created_after": (NOW - timedelta(days=1)).isoformat()}
    r = client.get("/events", params={**params, "stream_position": "now"})
    body = r.json()
    assert body["entries"] == [] and int(body["next_stream_position"]) > 2**60
    emu.clock.advance(timedelta(hours=3))
    later = page_admin_logs(
        client, created_after=NOW - timedelta(days=1), created_before=NOW + timedelta(hours=3)
    )
    r = client.get("/events", params={**params, "stream_position": body["next_stream_position"]})
    newer = {e["event_id"] for e in r.json()["entries"]}
    assert newer and newer <= set(later.event_ids)
    assert all(_created(e) > NOW - timedelta(minutes=130) for e in r.json()["entries"])


def test_late_arrival_is_invisible_until_it_arrives(emulator, http):
    emu, srv = emulator
    day = emu.store.day(ordinal_of(int(NOW.timestamp())) - 1)
    i = next(i for i in range(len(day.ts)) if day.arrival[i] - day.ts[i] >= 600)
    created, arrival, event_id = day.ts[i], day.arrival[i], day.ids[i]
    after = datetime.fromtimestamp(created - 600, UTC)
    before = datetime.fromtimestamp(created + 1, UTC)
    client = http(srv, emu.config.developer_token)
    for now, visible in ((created + 60, False), (arrival - 1, False), (arrival, True)):
        emu.clock.set(datetime.fromtimestamp(now, UTC))
        got = set(page_admin_logs(client, created_after=after, created_before=before).event_ids)
        assert (event_id in got) is visible
        assert (event_id in emu.oracle.event_ids(after, before)) is visible
        assert got == emu.oracle.event_ids(after, before)
    # the oracle answers for any time, not only the clock's
    at_before = datetime.fromtimestamp(arrival - 1, UTC)
    assert event_id not in emu.oracle.event_ids(after, before, at=at_before)


def test_late_event_behind_a_passed_position_is_skipped_by_that_paging(emulator, http):
    emu, srv = emulator
    day = emu.store.day(ordinal_of(int(NOW.timestamp())) - 1)
    # event i arrives late; event i + 1 (later in the order) has already arrived
    i = next(
        i
        for i in range(len(day.ts) - 1)
        if day.arrival[i] - day.ts[i] >= 600 and day.arrival[i + 1] < day.arrival[i]
    )
    emu.clock.set(datetime.fromtimestamp(day.arrival[i + 1], UTC))
    after = datetime.fromtimestamp(day.ts[i] - 3600, UTC)
    before = datetime.fromtimestamp(day.ts[i] + 7200, UTC)
    client = http(srv, emu.config.developer_token)
    first = page_admin_logs(client, created_after=after, created_before=before)
    emu.clock.set(datetime.fromtimestamp(day.arrival[i] + 1, UTC))
    params = {
        "stream_type": "admin_logs",
        "created_after": after.isoformat(),
        "created_before": before.isoformat(),
        "stream_position": first.positions[-1],
    }
    assert day.ids[i + 1] in first.event_ids and day.ids[i] not in first.event_ids
    resumed = client.get("/events", params=params).json()["entries"]
    assert day.ids[i] not in {e["event_id"] for e in resumed}
    assert day.ids[i] in emu.oracle.event_ids(after, before)
