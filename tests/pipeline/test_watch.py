"""User streams with long polling (`watch`): a change reaches `user_events` within seconds, every
answer of the real-time server (reconnect, max_retries, none at all) leads back to a poll without
losing an event, `As-User` reads another user's stream, and the stored position resumes exactly."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from datetime import timedelta

import duckdb
import httpx
import pytest

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines.box_events import stopping
from pipelines.box_events.exceptions import BoxPermissionError, BoxResponseError, ConfigurationError
from pipelines.box_events.realtime import parse_server
from pipelines.stream import StreamGap
from pipelines.watch import watch
from tests.conftest import NOW, api_for

DAY = timedelta(days=1)


class Watching:
    """`watch` in a thread of its own, stopped through its `until`; the test reads the warehouse
    under the same lock the job takes for each read, so it never opens DuckDB mid-load."""

    def __init__(self, warehouse, **options) -> None:
        self.warehouse = warehouse
        self.guard = threading.Lock()
        self.stopped = threading.Event()
        self.report = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(options,), daemon=True)

    def _run(self, options) -> None:
        try:
            self.report = watch(
                self.warehouse.pipeline(), lock=lambda: self.guard, until=self.stopped.is_set, **options
            )
        except BaseException as exc:  # handed to the test's thread
            self.error = exc

    def __enter__(self) -> Watching:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self._thread.join(15)
        assert not self._thread.is_alive(), "watch did not stop"
        if self.error is not None and exc[0] is None:
            raise self.error

    def ids(self) -> list[str]:
        with self.guard:
            return user_event_ids(self.warehouse)

    def wait_for(self, condition, timeout: float = 10.0) -> bool:
        """Wait until `condition()` (checked every 20 ms), the job failed, or `timeout` passed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.error is not None:
                raise self.error
            if condition():
                return True
            time.sleep(0.02)
        return False

    def loaded(self, expected: set[str], timeout: float = 10.0) -> bool:
        return self.wait_for(lambda: expected <= set(self.ids()), timeout)


def user_event_ids(warehouse, user_id: str | None = None) -> list[str]:
    """Every event id in `user_events` (of one stream user), duplicates kept."""
    where = f" WHERE stream_user_id = '{user_id}'" if user_id else ""
    try:
        return [row[0] for row in warehouse.query(f"SELECT event_id FROM box_events.user_events{where}")]
    except duckdb.CatalogException:
        return []


def _stream_as(srv, token: str, user_id: str, stream_type: str) -> set[str]:
    """A reference read of one user's whole stream (As-User, from 0 to the empty page)."""
    ids: set[str] = set()
    position = "0"
    with httpx.Client(base_url=srv.api_base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        while True:
            params = {"stream_type": stream_type, "stream_position": position, "limit": 800}
            body = http.get("/events", params=params, headers={"As-User": user_id}).json()
            if not body["entries"]:
                return ids
            ids |= {e["event_id"] for e in body["entries"]}
            position = str(body["next_stream_position"])


def test_a_change_reaches_user_events_through_the_long_poll_within_5_seconds(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=300, longpoll_timeout_seconds=5) as (
        emu,
        srv,
    ):
        me = emu.enterprise.admin.id  # the developer token's user
        with Watching(warehouse, api=api_for(srv, emu.config), clock=emu.clock.now) as job:
            assert job.wait_for(lambda: emu.stats.longpolls >= 1)  # started, and waiting on Box
            added_at = time.monotonic()
            event_id = emu.add_user_event(me)
            assert job.loaded({event_id})
            elapsed = time.monotonic() - added_at
        assert elapsed < 5, f"the change took {elapsed:.1f}s to reach user_events"
        assert job.ids() == [event_id]  # started `now`: nothing older
        assert job.report.changes >= 1 and job.report.user_id == me
        rows = warehouse.query("SELECT stream_user_id, stream_type, first_lane FROM box_events.user_events")
        assert rows == [(me, "all", "user_stream")]


def test_reconnect_asks_options_again_and_loses_nothing(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=300, longpoll_timeout_seconds=0.3) as (
        emu,
        srv,
    ):
        me = emu.enterprise.admin.id
        added: set[str] = set()
        with Watching(warehouse, api=api_for(srv, emu.config), clock=emu.clock.now) as job:
            for _ in range(4):  # each add lands between, or during, 0.3 s polls
                options = emu.stats.options_requests
                assert job.wait_for(lambda seen=options: emu.stats.options_requests > seen)
                added.add(emu.add_user_event(me))
            assert job.loaded(added)
        assert Counter(job.ids()) == Counter({event_id: 1 for event_id in added})
        assert job.report.reconnects >= 3 and emu.stats.options_requests == job.report.subscriptions


def test_max_retries_asks_options_again_and_the_next_change_still_arrives(warehouse):
    with running_emulator(
        clock=ManualClock(NOW), events_per_day=300, longpoll_timeout_seconds=5, longpoll_max_retries_after=1
    ) as (emu, srv):
        me = emu.enterprise.admin.id
        added: set[str] = set()
        with Watching(warehouse, api=api_for(srv, emu.config), clock=emu.clock.now) as job:
            assert job.wait_for(lambda: emu.stats.longpolls >= 1)
            for _ in range(3):  # each wakes the poll of a channel that then answers max_retries
                added.add(emu.add_user_event(me))
                assert job.loaded(added)
        # each change's channel answers max_retries on its second poll, and OPTIONS is asked anew
        assert job.report.reconnects >= 2 and emu.stats.options_requests >= 3
        assert sorted(job.ids()) == sorted(added)


def test_a_long_poll_without_answer_is_retried_after_retry_timeout_then_options_again(warehouse):
    with running_emulator(
        clock=ManualClock(NOW),
        events_per_day=300,
        longpoll_hang=True,
        realtime_retry_timeout=1,
        realtime_max_retries="2",
    ) as (emu, srv):
        api = api_for(srv, emu.config)
        me = emu.enterprise.admin.id
        with Watching(warehouse, api=api, clock=emu.clock.now) as job:
            assert job.wait_for(lambda: emu.stats.longpolls >= 1)
            event_id = emu.add_user_event(me)  # no poll ever answers: only the next start reads it
            assert job.wait_for(lambda: emu.stats.options_requests >= 2, timeout=5)
        report = job.report
        assert report.failed_polls >= 2 and report.changes == 0 and report.subscriptions >= 2
        assert emu.stats.longpolls >= 2 * (report.subscriptions - 1)  # max_retries failed polls each
        assert user_event_ids(warehouse) == []
        again = watch(warehouse.pipeline(), api=api, clock=emu.clock.now, until=lambda: True)
        assert user_event_ids(warehouse) == [event_id] and again.events_new == 1


def test_a_realtime_server_older_than_its_ttl_minutes_is_replaced(warehouse):
    with running_emulator(
        clock=ManualClock(NOW), events_per_day=300, longpoll_timeout_seconds=5, realtime_ttl="0.02"
    ) as (emu, srv):  # 0.02 minutes: 1.2 s
        me = emu.enterprise.admin.id
        added: set[str] = set()
        with Watching(warehouse, api=api_for(srv, emu.config), clock=emu.clock.now) as job:
            assert job.wait_for(lambda: emu.stats.longpolls >= 1)
            subscribed = time.monotonic()
            while time.monotonic() - subscribed < 1.5:  # changes keep the server, until its ttl
                added.add(emu.add_user_event(me))
                assert job.loaded(added)
            assert job.wait_for(lambda: emu.stats.options_requests >= 2, timeout=3)
        assert job.report.reconnects == 0 and job.report.failed_polls == 0
        assert sorted(job.ids()) == sorted(added)


def test_as_user_reads_that_users_stream_and_names_the_permission_it_lacks(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=1000) as (emu, srv):
        user = emu.enterprise.regular_users[0].id
        expected = _stream_as(srv, emu.config.developer_token, user, "changes")
        report = watch(
            warehouse.pipeline(),
            api=api_for(srv, emu.config),
            stream_type="changes",
            as_user=user,
            start_from="0",
            clock=emu.clock.now,
            until=lambda: True,
        )
        assert expected, "the user has no changes: the test proves nothing"
        assert sorted(user_event_ids(warehouse, user)) == sorted(expected)
        assert warehouse.query(
            "SELECT DISTINCT stream_user_id, stream_type, created_by_id FROM box_events.user_events"
        ) == [(user, "changes", user)]
        assert report.user_id == user and report.events_new == len(expected)
        keys = warehouse.query("SELECT DISTINCT stream_key FROM box_events.stream_positions")
        assert keys == [(f"{user}:changes",)]
    with running_emulator(clock=ManualClock(NOW), events_per_day=300, as_user_permission=False) as (emu, srv):
        with pytest.raises(BoxPermissionError, match="Perform actions as users") as refused:
            watch(warehouse.pipeline(), api=api_for(srv, emu.config), as_user=user, until=lambda: True)
        assert "\n" not in str(refused.value)
    with pytest.raises(ConfigurationError, match="--as-user"):
        watch(warehouse.pipeline(), as_user="1' OR '1'='1")  # ends up in SQL: a number or nothing


def test_two_runs_in_a_row_load_each_event_once_from_the_exact_position(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=1000) as (emu, srv):
        api = api_for(srv, emu.config)
        me = emu.enterprise.admin.id
        first = watch(warehouse.pipeline(), api=api, start_from="0", clock=emu.clock.now, until=lambda: True)
        history = _stream_as(srv, emu.config.developer_token, me, "all")
        assert history and first.events_new == len(history)
        emu.clock.advance(timedelta(hours=1))  # new generated events arrive, and two added ones
        added = {emu.add_user_event(me), emu.add_user_event(me, "ITEM_TRASH")}
        second = watch(warehouse.pipeline(), api=api, clock=emu.clock.now, until=lambda: True)
        expected = _stream_as(srv, emu.config.developer_token, me, "all")
        assert added <= expected and second.events_new == second.events_read == len(expected - history)
        assert Counter(user_event_ids(warehouse)) == Counter({event_id: 1 for event_id in history | expected})
        assert second.summary().startswith(
            f"watch: user {me}'s all stream: {len(expected - history)} new events"
        )
        third = watch(warehouse.pipeline(), api=api, clock=emu.clock.now, until=lambda: True)
        assert third.events_read == third.events_new == 0


def test_a_changes_stream_steps_past_the_users_other_events_instead_of_waking_forever(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=300, longpoll_timeout_seconds=5) as (
        emu,
        srv,
    ):
        me = emu.enterprise.admin.id
        loads: list = []
        options = {"api": api_for(srv, emu.config), "stream_type": "changes", "clock": emu.clock.now}
        with Watching(warehouse, on_load=loads.append, **options) as job:
            assert job.wait_for(lambda: emu.stats.longpolls >= 1)
            emu.add_user_event(me, "ITEM_PREVIEW")  # in `all`, not in `changes`: wakes the poll
            # the read finds nothing for `changes` but commits the position past the preview...
            assert job.wait_for(lambda: len(loads) == 2) and loads[1].events_read == 0
            polls = emu.stats.longpolls
            # ...so the next poll waits instead of answering new_change for the preview again
            assert not job.wait_for(lambda: emu.stats.longpolls > polls + 1, timeout=1)
            upload = emu.add_user_event(me, "ITEM_UPLOAD")
            assert job.loaded({upload})
        assert job.ids() == [upload]
        assert job.report.changes == 2 and job.report.long_polls <= 4


def test_a_position_older_than_the_streams_retention_is_a_gap(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=100) as (emu, srv):
        api = api_for(srv, emu.config)

        def once(stream_type: str, start_from: str | None = None):
            return watch(
                warehouse.pipeline(),
                api=api,
                stream_type=stream_type,
                start_from=start_from,
                clock=emu.clock.now,
                until=lambda: True,
            )

        once("changes"), once("sync")
        emu.clock.advance(timedelta(days=22))  # Box keeps changes 21 days, sync 31
        with pytest.raises(StreamGap, match=r"changes stream .* more than Box's 3w ago") as gap:
            once("changes")
        assert str(gap.value).endswith("restart it with `boxevents watch --from now`")
        assert once("sync").loads == 1
        assert once("changes", "now").loads == 1


def test_a_stop_request_ends_watch_with_its_report(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=100, longpoll_timeout_seconds=5) as (
        emu,
        srv,
    ):
        try:
            with Watching(warehouse, api=api_for(srv, emu.config), clock=emu.clock.now) as job:
                assert job.wait_for(lambda: emu.stats.longpolls >= 1)
                stopping.request(signal.SIGTERM)
                assert job.wait_for(lambda: job.report is not None, timeout=3)
        finally:
            stopping.reset()
        assert job.report.stopped_by == "SIGTERM" and job.report.loads == 1


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"ttl": "10", "max_retries": "10", "retry_timeout": 610}, (600.0, 10, 610.0)),
        ({"ttl": 2, "max_retries": " 3 ", "retry_timeout": "1.5"}, (120.0, 3, 1.5)),
    ],
)
def test_realtime_servers_are_read_whether_numbers_come_as_strings_or_numbers(entry, expected):
    body = {
        "chunk_size": 1,
        "entries": [{"type": "realtime_server", "url": "https://x.box.net/s?c=1", **entry}],
    }
    server = parse_server(httpx.Response(200, json=body).content, 0.0)
    assert (server.ttl.total_seconds(), server.max_retries, server.retry_timeout) == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>", "not JSON"),
        (b'{"entries": []}', "no realtime_server"),
        (b'{"entries": [{"type": "realtime_server", "url": "x", "ttl": "10"}]}', "not an http"),
        (
            b'{"entries": [{"type": "realtime_server", "url": "https://a/b", "ttl": "ten",'
            b' "max_retries": "10", "retry_timeout": 610}]}',
            "ttl is 'ten'",
        ),
        (
            b'{"entries": [{"type": "realtime_server", "url": "https://a/b", "ttl": "10",'
            b' "max_retries": "10"}]}',
            "retry_timeout is None",
        ),
    ],
)
def test_an_unusable_options_answer_is_one_line(body, reason):
    with pytest.raises(BoxResponseError, match=reason) as bad:
        parse_server(body, 0.0)
    assert "\n" not in str(bad.value) and "OPTIONS /events" in str(bad.value)
