"""admin_logs_streaming, user streams, OPTIONS + long poll, and the control endpoints."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import httpx

from box_emulator.event_types import CHANGES_STREAM_NAMES, USER_STREAM_NAMES
from box_emulator.testing import DEFAULT_TEST_NOW, read_stream

NOW = DEFAULT_TEST_NOW


def test_admin_logs_streaming_is_at_least_once_and_out_of_order(emulator_server, http):
    emu, srv = emulator_server(events_per_day=300, streaming_duplicate_rate=0.05)
    client = http(srv, emu.config.developer_token)
    entries, last = read_stream(client, {"stream_type": "admin_logs_streaming"})
    ids = [e["event_id"] for e in entries]
    assert len(ids) > len(set(ids)), "expected duplicates"
    created = [datetime.fromisoformat(e["created_at"]) for e in entries]
    assert any(a > b for a, b in itertools.pairwise(created)), "expected disorder"
    # the live lane's own schedule (about 12 s after created_at), not admin_logs' arrival delay
    window = emu.oracle.streaming_event_ids(NOW - timedelta(days=14), NOW + timedelta(seconds=1))
    assert set(ids) == window
    # nothing new until time moves; then only the new arrivals
    r = client.get("/events", params={"stream_type": "admin_logs_streaming", "stream_position": last})
    assert r.json()["entries"] == []
    emu.clock.advance(timedelta(hours=8))
    newer = [e["event_id"] for e in read_stream(client, {"stream_type": "admin_logs_streaming"}, last)[0]]
    assert newer and not set(newer) & set(ids)
    # stream_position=now gives an empty page and a position to start from
    r = client.get("/events", params={"stream_type": "admin_logs_streaming", "stream_position": "now"})
    assert r.json()["entries"] == [] and int(r.json()["next_stream_position"]) > 2**61
    r = client.get(
        "/events", params={"stream_type": "admin_logs_streaming", "event_type": "LOGIN", "limit": 50}
    )
    assert {e["event_type"] for e in r.json()["entries"]} == {"LOGIN"}


def test_user_streams_show_the_users_own_events_within_retention(emulator_server, http):
    emu, srv = emulator_server(events_per_day=1000)
    client = http(srv, emu.config.developer_token)
    admin = emu.enterprise.admin
    seen: dict[str, list[dict]] = {}
    for stream, days in (("all", 21), ("changes", 21), ("sync", 31)):
        entries, _ = read_stream(client, {"stream_type": stream}, limit=800)
        seen[stream] = entries
        assert entries, stream
        for e in entries:
            assert e["created_by"]["id"] == admin.id
            assert e["event_type"] in set(USER_STREAM_NAMES.values())
            assert "recorded_at" in e
            assert e["created_at"] >= (NOW - timedelta(days=days)).astimezone().isoformat()[:10]
        if stream != "all":
            assert {e["event_type"] for e in entries} <= CHANGES_STREAM_NAMES
    types = Counter(e["event_type"] for e in seen["all"])
    assert "ITEM_PREVIEW" in types and "PREVIEW" not in types
    oldest_all = min(e["created_at"] for e in seen["all"])
    oldest_sync = min(e["created_at"] for e in seen["sync"])
    assert oldest_sync < oldest_all  # sync keeps 31 days, all 21


def test_options_and_long_poll(emulator_server, http):
    emu, srv = emulator_server(events_per_day=1000, longpoll_timeout_seconds=0.5)
    client = http(srv, emu.config.developer_token)
    r = client.options("/events")
    assert r.status_code == 200
    server = r.json()["entries"][0]
    assert server["type"] == "realtime_server" and server["url"].startswith(srv.base_url)
    assert {"ttl", "max_retries", "retry_timeout"} <= set(server)
    latest = client.get("/events", params={"stream_type": "all", "stream_position": "now"})
    position = latest.json()["next_stream_position"]
    started = time.monotonic()
    r = httpx.get(f"{server['url']}&stream_position={position}", timeout=5)
    assert r.json() == {"message": "reconnect"} and time.monotonic() - started >= 0.4
    r = httpx.get(f"{server['url']}&stream_position=0", timeout=5)
    assert r.json() == {"message": "new_change"}
    # a change arriving while the poll waits wakes it up
    emu_long = emulator_server(events_per_day=1000, longpoll_timeout_seconds=5)
    emu2, srv2 = emu_long
    client2 = http(srv2, emu2.config.developer_token)
    url = client2.options("/events").json()["entries"][0]["url"]
    position = client2.get("/events", params={"stream_type": "all", "stream_position": "now"}).json()[
        "next_stream_position"
    ]
    timer = threading.Timer(0.3, emu2.clock.advance, args=(timedelta(days=3),))
    timer.start()
    started = time.monotonic()
    r = httpx.get(f"{url}&stream_position={position}", timeout=10)
    timer.join()
    assert r.json() == {"message": "new_change"} and time.monotonic() - started < 4


def test_control_endpoints(emulator, http):
    emu, srv = emulator
    base = srv.base_url
    assert httpx.get(f"{base}/_emulator/clock").json()["now"].startswith("2026-11-23T12:00:00")
    r = httpx.post(f"{base}/_emulator/clock", json={"advance_seconds": 3600})
    assert r.json()["now"].startswith("2026-11-23T13:00:00")
    r = httpx.post(f"{base}/_emulator/clock", json={"set": "2026-11-23T12:00:00+00:00"})
    assert emu.clock.now() == NOW
    after, before = NOW - timedelta(days=1), NOW - timedelta(hours=1)
    r = httpx.get(
        f"{base}/_emulator/oracle",
        params={
            "created_after": after.isoformat(),
            "created_before": before.isoformat(),
            "event_type": "LOGIN,DOWNLOAD",
        },
    )
    body = r.json()
    assert set(body["event_ids"]) == emu.oracle.event_ids(after, before, ["LOGIN", "DOWNLOAD"])
    assert body["count"] == len(body["event_ids"]) and set(body["counts_by_type"]) == {"LOGIN", "DOWNLOAD"}
    http(srv, emu.config.developer_token).get("/events", params={"stream_type": "admin_logs"})
    stats = httpx.get(f"{base}/_emulator/stats").json()
    assert stats["events_requests"] == 1 and {"throttled_429", "errors_5xx", "drops", "tokens_issued"} <= set(
        stats
    )
    assert httpx.get(f"{base}/nowhere").json()["status"] == 404
