"""The live lanes over real HTTP: admin_logs_streaming's own buffer and withheld events, changes
added to user streams by a test, As-User, and OPTIONS / long polling (max_retries, a hanging poll)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from box_emulator import EmulatorConfig
from box_emulator.event_types import CHANGES_STREAM_NAMES
from box_emulator.generator import PACIFIC
from box_emulator.testing import DEFAULT_TEST_NOW, page_admin_logs, read_stream

NOW = DEFAULT_TEST_NOW
#: 10:00 in US-Pacific on a Monday: busy enough for a minute to hold a few dozen events
BUSY = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
FORBIDDEN = {
    "type": "error",
    "status": 403,
    "code": "access_denied_insufficient_permissions",
    "message": "Access denied - insufficient permission",
}


def _now_position(client: httpx.Client, stream_type: str, headers: dict[str, str] | None = None) -> str:
    r = client.get("/events", params={"stream_type": stream_type, "stream_position": "now"}, headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["next_stream_position"])


def _error(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["type"] == "error" and body["status"] == status and body["code"] == code
    assert body["request_id"] and "message" in body
    return body


STREAMING = {"stream_type": "admin_logs_streaming"}


# ---------------------------------------------------------------------- admin_logs_streaming
def test_streaming_lane_shows_each_event_12_to_15_s_after_created_while_admin_logs_lags(
    emulator_server, http
):
    emu, srv = emulator_server(events_per_day=20_000, now=BUSY)
    client = http(srv, emu.config.developer_token)
    position = _now_position(client, "admin_logs_streaming")
    first_seen: dict[str, int] = {}
    created: dict[str, int] = {}
    for step in range(1, 61):
        emu.clock.set(BUSY + timedelta(seconds=step))
        entries, position = read_stream(client, STREAMING, position)
        for e in entries:
            first_seen.setdefault(e["event_id"], step)
            created[e["event_id"]] = int((datetime.fromisoformat(e["created_at"]) - BUSY).total_seconds())
    assert len(first_seen) > 20
    # each shows exactly when its buffer is over: 12 s plus a jitter below 4 s
    assert {first_seen[i] - created[i] for i in first_seen} <= {12, 13, 14, 15}
    end = BUSY + timedelta(seconds=60)
    oracle = emu.oracle
    span = (BUSY - timedelta(hours=1), end + timedelta(seconds=1))
    assert set(first_seen) == oracle.streaming_event_ids(*span, at=end) - oracle.streaming_event_ids(
        *span, at=BUSY
    )
    # admin_logs is slower: some of these are not there yet (they arrive minutes later)
    in_admin_logs = oracle.event_ids(*span, at=end)
    late = set(first_seen) - in_admin_logs
    assert late
    emu.clock.set(end + timedelta(hours=2))
    assert late <= oracle.event_ids(*span)


def test_streaming_positions_follow_the_lane_order_whatever_the_page_size(emulator_server, http):
    emu, srv = emulator_server(events_per_day=300, streaming_duplicate_rate=0.0)
    client = http(srv, emu.config.developer_token)
    small, _ = read_stream(client, STREAMING, "0", limit=50)
    large, _ = read_stream(client, STREAMING, "0", limit=500)
    expected = emu.oracle.streaming_event_ids(NOW - timedelta(days=14), NOW + timedelta(seconds=1))
    for entries in (small, large):
        ids = [e["event_id"] for e in entries]
        assert len(ids) == len(set(ids)), "no duplicates asked for"
        assert set(ids) == expected
    # created within the last 12 s: not on the lane yet, though some are in admin_logs already
    recent = emu.oracle.event_ids(NOW - timedelta(seconds=11), NOW + timedelta(seconds=1))
    assert not recent & expected


def test_streaming_lane_keeps_duplicates_and_disorder(emulator_server, http):
    emu, srv = emulator_server(events_per_day=300, streaming_duplicate_rate=0.05)
    client = http(srv, emu.config.developer_token)
    entries, _ = read_stream(client, STREAMING, "0")
    ids = [e["event_id"] for e in entries]
    assert len(ids) > len(set(ids))
    assert set(ids) == emu.oracle.streaming_event_ids(NOW - timedelta(days=14), NOW + timedelta(seconds=1))
    times = [datetime.fromisoformat(e["created_at"]) for e in entries]
    assert times != sorted(times)


def test_withheld_events_skip_the_streaming_lane_and_a_sweep_of_admin_logs_recovers_them(
    emulator_server, http
):
    emu, srv = emulator_server(events_per_day=500, streaming_withheld_share=0.2)
    plain, plain_srv = emulator_server(events_per_day=500)
    client = http(srv, emu.config.developer_token)
    streamed = {e["event_id"] for e in read_stream(client, STREAMING, "0")[0]}
    lane_start, lane_end = NOW - timedelta(days=14), NOW + timedelta(seconds=1)
    withheld = emu.oracle.withheld_from_streaming(lane_start, lane_end)
    assert streamed == emu.oracle.streaming_event_ids(lane_start, lane_end)
    assert not streamed & withheld
    created = plain.oracle.streaming_event_ids(lane_start, lane_end)  # nothing withheld there
    assert streamed | withheld >= created and 0.15 < len(withheld) / len(created) < 0.25
    # a sweep of admin_logs over a window brings exactly the window's withheld events back
    after, before = NOW - timedelta(days=2), NOW - timedelta(hours=3)
    sweep = page_admin_logs(client, created_after=after, created_before=before)
    in_window = emu.oracle.withheld_from_streaming(after, before)
    assert in_window and set(sweep.event_ids) & withheld == in_window
    assert set(sweep.event_ids) - streamed == in_window
    # admin_logs and the oracle do not depend on the lane's knobs
    plain_sweep = page_admin_logs(
        http(plain_srv, plain.config.developer_token), created_after=after, created_before=before
    )
    assert sweep.entries == plain_sweep.entries
    assert emu.oracle.event_ids(lane_start, lane_end) == plain.oracle.event_ids(lane_start, lane_end)
    assert plain.oracle.withheld_from_streaming(lane_start, lane_end) == set()


# ---------------------------------------------------------------------- user streams: added events
def _users(srv) -> list[dict]:
    users = httpx.get(f"{srv.base_url}/_emulator/users", timeout=5).json()
    assert users and {"id", "login", "name", "is_admin", "role", "service_account"} <= set(users[0])
    return users


def _add(srv, user_id: str, event_type: str = "ITEM_UPLOAD", **extra: Any) -> str:
    r = httpx.post(
        f"{srv.base_url}/_emulator/user_events",
        json={"user_id": user_id, "event_type": event_type, **extra},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    return r.json()["event_id"]


def test_users_endpoint_lists_the_enterprise_users(emulator):
    emu, srv = emulator
    users = _users(srv)
    by_id = {u["id"]: u for u in users}
    assert by_id[emu.enterprise.admin.id]["is_admin"] is True
    regular = emu.enterprise.regular_users[0]
    assert by_id[regular.id] == {
        "id": regular.id,
        "login": regular.login,
        "name": regular.name,
        "role": "user",
        "is_admin": False,
        "service_account": False,
    }
    assert {u["id"] for u in users if u["service_account"]} == {u.id for u in emu.enterprise.service_accounts}
    assert len(users) == len(emu.enterprise.users) + len(emu.enterprise.service_accounts)


def test_an_added_user_event_is_in_the_users_streams_from_the_next_get(emulator, http):
    emu, srv = emulator
    client = http(srv, emu.config.developer_token)
    admin = emu.enterprise.admin
    streams = ("all", "changes", "sync")
    positions = {s: _now_position(client, s) for s in streams}
    lane_window = (NOW - timedelta(days=14), NOW + timedelta(seconds=1))
    before_ids = emu.oracle.event_ids(*lane_window)
    before_live = emu.oracle.streaming_event_ids(*lane_window)
    upload = _add(srv, admin.id, "ITEM_UPLOAD")  # the clock has not moved: the same second
    preview = emu.add_user_event(admin.id, "ITEM_PREVIEW")
    got = {s: read_stream(client, {"stream_type": s}, positions[s])[0] for s in streams}
    assert [e["event_id"] for e in got["all"]] == [upload, preview]
    assert [e["event_id"] for e in got["changes"]] == [upload]  # a preview is no change
    assert [e["event_id"] for e in got["sync"]] == ([upload] if upload[0] in "01234567" else [])
    event = got["all"][0]
    assert event["event_type"] == "ITEM_UPLOAD" and "ITEM_UPLOAD" in CHANGES_STREAM_NAMES
    assert event["created_by"] == admin.mini
    assert event["created_at"] == event["recorded_at"] == NOW.astimezone(PACIFIC).isoformat()
    assert event["source"]["item_type"] == "file" and event["type"] == "event"
    # nobody else's stream, no enterprise stream, no oracle answer changes
    other = http(srv, emu.config.non_admin_token)
    assert not {upload, preview} & {
        e["event_id"] for e in read_stream(other, {"stream_type": "all"}, "0", 800)[0]
    }
    assert emu.oracle.event_ids(*lane_window) == before_ids
    assert emu.oracle.streaming_event_ids(*lane_window) == before_live
    live = {e["event_id"] for e in read_stream(client, STREAMING, "0")[0]}
    history = page_admin_logs(
        client, created_after=NOW - timedelta(hours=1), created_before=NOW + timedelta(seconds=1)
    )
    assert not {upload, preview} & (live | set(history.event_ids))
    # created in the past (`at`), it still arrives now: after any position handed out before
    position = read_stream(client, {"stream_type": "all"}, positions["all"])[1]
    earlier = _add(srv, admin.id, "ITEM_TRASH", at=(NOW - timedelta(hours=5)).isoformat())
    [event] = read_stream(client, {"stream_type": "all"}, position)[0]
    assert event["event_id"] == earlier
    assert datetime.fromisoformat(event["created_at"]) == NOW - timedelta(hours=5)
    assert datetime.fromisoformat(event["recorded_at"]) == NOW


def test_user_events_endpoint_refuses_unknown_users_and_bad_bodies(emulator):
    emu, srv = emulator
    url = f"{srv.base_url}/_emulator/user_events"
    assert httpx.post(url, json={"user_id": "999"}, timeout=5).json()["code"] == "not_found"
    assert httpx.post(url, content=b"not json", timeout=5).status_code == 400
    assert httpx.post(url, json={"event_type": "ITEM_UPLOAD"}, timeout=5).status_code == 400
    with pytest.raises(KeyError):
        emu.add_user_event(emu.enterprise.externals[0].id)


def _poll(url: str, position: str, out: dict, key: str, timeout: float = 10) -> None:
    r = httpx.get(f"{url}&stream_position={position}", timeout=timeout)
    out[key] = (r.json(), time.monotonic())


def test_an_added_event_wakes_the_users_long_poll_within_200_ms(emulator_server, http):
    emu, srv = emulator_server(events_per_day=1000, longpoll_timeout_seconds=3)
    admin = http(srv, emu.config.developer_token)
    user = emu.enterprise.regular_users[3]
    as_user = {"As-User": user.id}
    user_url = admin.options("/events", headers=as_user).json()["entries"][0]["url"]
    admin_url = admin.options("/events").json()["entries"][0]["url"]
    user_pos = _now_position(admin, "all", as_user)
    admin_pos = _now_position(admin, "all")
    out: dict[str, Any] = {}
    threads = [
        threading.Thread(target=_poll, args=(user_url, user_pos, out, "user")),
        threading.Thread(target=_poll, args=(admin_url, admin_pos, out, "admin")),
    ]
    for t in threads:
        t.start()
    time.sleep(0.5)
    added_at = time.monotonic()
    event_id = emu.add_user_event(user.id)
    threads[0].join(5)
    message, answered_at = out["user"]
    assert message == {"message": "new_change"} and answered_at - added_at < 0.2
    threads[1].join(5)
    assert out["admin"][0] == {"message": "reconnect"}  # another user's channel sleeps on
    entries, _ = _read_as(admin, user.id, user_pos)
    assert [e["event_id"] for e in entries] == [event_id]


def _read_as(client: httpx.Client, user_id: str, position: str) -> tuple[list[dict], str]:
    entries: list[dict] = []
    while True:
        r = client.get(
            "/events",
            params={"stream_type": "all", "stream_position": position},
            headers={"As-User": user_id},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        if not body["entries"]:
            return entries, position
        entries += body["entries"]
        position = str(body["next_stream_position"])


# ---------------------------------------------------------------------- As-User
def test_as_user_reads_that_users_stream_when_an_admin_asks(emulator_server, http):
    emu, srv = emulator_server(events_per_day=1000)
    admin = http(srv, emu.config.developer_token)
    regular = http(srv, emu.config.non_admin_token)
    own = read_stream(regular, {"stream_type": "all"}, "0", 800)[0]
    as_user = _read_as(admin, emu.enterprise.regular_users[0].id, "0")[0]
    assert own and as_user == own
    assert {e["created_by"]["id"] for e in as_user} == {emu.enterprise.regular_users[0].id}
    # who may not: a regular caller, an unknown user, a service account
    params = {"stream_type": "all"}
    r = regular.get("/events", params=params, headers={"As-User": emu.enterprise.admin.id})
    assert FORBIDDEN.items() <= _error(r, 403, "access_denied_insufficient_permissions").items()
    _error(admin.get("/events", params=params, headers={"As-User": "999"}), 404, "not_found")
    r = admin.get("/events", params=params, headers={"As-User": emu.enterprise.service_accounts[0].id})
    _error(r, 403, "access_denied_insufficient_permissions")
    # a regular user acted as cannot read the enterprise streams
    r = admin.get("/events", params=STREAMING, headers={"As-User": emu.enterprise.regular_users[0].id})
    _error(r, 403, "access_denied_insufficient_permissions")
    r = regular.options("/events", headers={"As-User": emu.enterprise.admin.id})
    _error(r, 403, "access_denied_insufficient_permissions")
    _error(admin.options("/events", headers={"As-User": "999"}), 404, "not_found")


def test_as_user_is_refused_without_the_apps_permission(emulator_server, http):
    emu, srv = emulator_server(events_per_day=200, as_user_permission=False)
    admin = http(srv, emu.config.developer_token)
    headers = {"As-User": emu.enterprise.regular_users[0].id}
    body = _error(
        admin.get("/events", params={"stream_type": "all"}, headers=headers), 403, FORBIDDEN["code"]
    )
    assert FORBIDDEN.items() <= body.items()
    _error(admin.options("/events", headers=headers), 403, FORBIDDEN["code"])
    assert admin.get("/events", params={"stream_type": "all"}).status_code == 200  # without it: fine


# ---------------------------------------------------------------------- OPTIONS and long polling
def test_options_answers_the_configured_realtime_server(emulator_server, http):
    emu, srv = emulator_server(events_per_day=200)
    client = http(srv, emu.config.developer_token)
    body = client.options("/events").json()
    assert body["chunk_size"] == 1
    [server] = body["entries"]
    assert (server["type"], server["ttl"], server["max_retries"], server["retry_timeout"]) == (
        "realtime_server",
        "10",
        "10",
        610,
    )
    other_emu, other_srv = emulator_server(
        events_per_day=200, realtime_ttl="30", realtime_max_retries="3", realtime_retry_timeout=120
    )
    [server] = http(other_srv, other_emu.config.developer_token).options("/events").json()["entries"]
    assert (server["ttl"], server["max_retries"], server["retry_timeout"]) == ("30", "3", 120)


def test_long_polls_past_max_retries_answer_max_retries_until_a_fresh_options(emulator_server, http):
    emu, srv = emulator_server(events_per_day=200, longpoll_timeout_seconds=0.1, longpoll_max_retries_after=2)
    client = http(srv, emu.config.developer_token)
    url = client.options("/events").json()["entries"][0]["url"]
    position = _now_position(client, "all")
    answers = [httpx.get(f"{url}&stream_position={position}", timeout=5).json()["message"] for _ in range(4)]
    assert answers == ["reconnect", "reconnect", "max_retries", "max_retries"]
    fresh = client.options("/events").json()["entries"][0]["url"]
    assert fresh != url
    assert httpx.get(f"{fresh}&stream_position={position}", timeout=5).json() == {"message": "reconnect"}
    stats = httpx.get(f"{srv.base_url}/_emulator/stats", timeout=5).json()
    assert (stats["options_requests"], stats["longpolls"]) == (2, 5)


def test_a_hanging_long_poll_never_answers_until_the_client_gives_up(emulator_server, http):
    emu, srv = emulator_server(events_per_day=200, longpoll_timeout_seconds=0.1, longpoll_hang=True)
    client = http(srv, emu.config.developer_token)
    url = client.options("/events").json()["entries"][0]["url"]
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{url}&stream_position=0", timeout=0.6)  # changes are waiting: still no answer
    assert time.monotonic() - started >= 0.5
    assert client.get("/events", params={"stream_type": "all", "limit": 1}).status_code == 200
    assert emu.stats.longpolls == 1


# ---------------------------------------------------------------------- configuration
def test_lane_knobs_are_checked_and_profiles_keep_nothing_withheld():
    for profile in ("clean", "realistic", "hostile"):
        cfg = EmulatorConfig(profile=profile)
        assert cfg.streaming_withheld_share == 0.0 and cfg.knobs.streaming_duplicate_rate > 0
    for bad in (
        {"streaming_withheld_share": 1.5},
        {"streaming_buffer_seconds": -1},
        {"longpoll_max_retries_after": -1},
    ):
        with pytest.raises(ValueError):
            EmulatorConfig(**bad)
