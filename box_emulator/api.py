"""`GET /2.0/events` for every stream type, as plain functions of (emulator, query, token).

Why separate from the ASGI plumbing: the paging rules (windows, boundaries, positions,
retention, terminal pages) are the heart of the emulator and read best without HTTP noise.
Every function returns the response body bytes or raises `ApiError`.

admin_logs rules (see /work/shared/box-events-api.md): `created_after`/`created_before` RFC 3339
with an offset (an unencoded `+` arrives as a space: 400), 365-day retention (older
`created_after`: 400; future `created_after`: 400), `limit` default 100, max 500 (over: 400),
chronological, no duplicates; the end of a window is an empty page whose
`next_stream_position` equals the position sent (or `0` under `legacy_zero_position`).

admin_logs_streaming follows its own schedule (about 12 s after `created_at`, some events never:
streaming.py), at least once and out of order. The user streams (`all`, `changes`, `sync`) hold
the caller's (or the `As-User`'s) generated events plus those a test added (user_events.py).
"""

from __future__ import annotations

import math
import random
import re
from bisect import bisect_right
from datetime import datetime
from typing import Any

import orjson

from box_emulator.auth import AccessToken
from box_emulator.day import day_seed, ordinal_of
from box_emulator.emulator import Emulator
from box_emulator.errors import ApiError
from box_emulator.event_types import CHANGES_STREAM_NAMES, USER_STREAM_NAMES
from box_emulator.faults import FaultPlan
from box_emulator.generator import PACIFIC, DayData
from box_emulator.positions import (
    ArrivalPos,
    HistoryPos,
    InvalidPosition,
    decode_arrival,
    decode_history,
    parse_int,
)
from box_emulator.user_events import AddedEvents

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
ADMIN_STREAMS = ("admin_logs", "admin_logs_streaming")
USER_STREAMS = {"all": 21, "changes": 21, "sync": 31}
MAX_LIMIT = 500
MAX_USER_LIMIT = 800
DAY = 86400
_CHANGES_SOURCES = frozenset(k for k, v in USER_STREAM_NAMES.items() if v in CHANGES_STREAM_NAMES)
_ALL_SOURCES = frozenset(USER_STREAM_NAMES)


def parse_rfc3339(name: str, raw: str) -> float:
    """Epoch seconds of an RFC 3339 timestamp with an offset; 400 otherwise."""
    if not RFC3339.match(raw):
        raise ApiError(
            400,
            f"Invalid value '{raw}' for parameter '{name}'. Expected an RFC 3339 date-time "
            "with a time zone offset, e.g. 2012-12-12T10:53:43-08:00 (encode '+' as %2B).",
            code="bad_request",
            context_info={
                "errors": [{"name": name, "message": "Invalid date-time", "reason": "invalid_parameter"}]
            },
        )
    try:
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"Invalid value '{raw}' for parameter '{name}'.") from None
    return dt.timestamp()


def _limit(query: dict[str, str], maximum: int, strict: bool) -> int:
    raw = query.get("limit")
    if raw is None or raw == "":
        return 100
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid value '{raw}' for parameter 'limit'.") from None
    if limit < 1:
        raise ApiError(400, f"Invalid value '{raw}' for parameter 'limit'. Minimum is 1.")
    if limit > maximum:
        if strict:
            raise ApiError(400, f"Invalid value '{raw}' for parameter 'limit'. Maximum is {maximum}.")
        limit = maximum
    return limit


def _event_types(query: dict[str, str]) -> frozenset[str] | None:
    raw = query.get("event_type")
    if not raw:
        return None
    names = frozenset(part.strip() for part in raw.split(",") if part.strip())
    return names or None


def _invalid_position() -> ApiError:
    return ApiError(400, "Invalid stream position", code="bad_request")


def _page(emu: Emulator, blobs: list[bytes], position: int | str) -> bytes:
    pos = str(position).encode() if emu.knobs.positions_as_numbers else b'"' + str(position).encode() + b'"'
    return b"".join(
        (
            b'{"chunk_size":',
            str(len(blobs)).encode(),
            b',"next_stream_position":',
            pos,
            b',"entries":[',
            b",".join(blobs),
            b"]}",
        )
    )


def _effective_limit(limit: int, plan: FaultPlan | None) -> int:
    if plan is not None and plan.short_fraction is not None and limit > 1:
        return max(1, min(limit - 1, int(limit * plan.short_fraction)))
    return limit


def get_events(
    emu: Emulator, query: dict[str, str], token: AccessToken, plan: FaultPlan | None
) -> tuple[bytes, int]:
    """Serve one events request; returns (body, number of entries)."""
    stream_type = query.get("stream_type") or "all"
    if stream_type in ADMIN_STREAMS:
        if not token.is_admin:
            raise ApiError(
                403,
                "Access denied - insufficient permission",
                code="access_denied_insufficient_permissions",
            )
        if stream_type == "admin_logs":
            return admin_logs(emu, query, plan)
        return admin_logs_streaming(emu, query, plan)
    if stream_type in USER_STREAMS:
        return user_stream(emu, query, token, stream_type, plan)
    raise ApiError(400, f"Invalid value '{stream_type}' for parameter 'stream_type'.")


# ---------------------------------------------------------------------- admin_logs
def admin_logs(emu: Emulator, query: dict[str, str], plan: FaultPlan | None) -> tuple[bytes, int]:
    cfg = emu.config
    now_f = emu.clock.now().timestamp()
    now = math.floor(now_f)
    floor = now - cfg.retention_days * DAY
    limit = _limit(query, MAX_LIMIT, strict=True)

    lo, hi = floor, now + 1
    raw_after, raw_before = query.get("created_after"), query.get("created_before")
    if raw_after:
        after = parse_rfc3339("created_after", raw_after)
        if after < floor:
            raise ApiError(
                400,
                f"created_after must be within the last {cfg.retention_days} days",
                context_info={
                    "errors": [
                        {
                            "name": "created_after",
                            "reason": "invalid_parameter",
                            "message": "Date is older than the retention period",
                        }
                    ]
                },
            )
        if after > now_f:
            raise ApiError(
                400,
                "created_after cannot be in the future",
                context_info={
                    "errors": [
                        {
                            "name": "created_after",
                            "reason": "invalid_parameter",
                            "message": "Date is in the future",
                        }
                    ]
                },
            )
        lo = math.ceil(after) if cfg.created_after_inclusive else math.floor(after) + 1
    if raw_before:
        before = parse_rfc3339("created_before", raw_before)
        hi = math.floor(before) + 1 if cfg.created_before_inclusive else math.ceil(before)
    lo, hi = max(lo, floor), min(hi, now + 1)
    types = _event_types(query)

    raw_pos = query.get("stream_position")
    start: HistoryPos | None = None
    sent: int | str = "0"
    if raw_pos == "now":
        day = emu.store.day(ordinal_of(now))
        latest = HistoryPos(day.ordinal, bisect_right(day.ts, now))
        return _page(emu, [], latest.encode()), 0
    if raw_pos not in (None, "", "0"):
        try:
            value = parse_int(raw_pos)
            start = decode_history(value, min_ordinal=ordinal_of(floor) - 1, max_ordinal=ordinal_of(now) + 1)
        except InvalidPosition:
            raise _invalid_position() from None
        sent = value

    page = emu.store.history(
        lo=lo, hi=hi, now=now, types=types, start=start, limit=_effective_limit(limit, plan)
    )
    if page.last is None:
        position: int | str = 0 if emu.knobs.legacy_zero_position else sent
        return _page(emu, [], position), 0
    blobs: list[bytes] = []
    for day, idx in page.segments:
        if isinstance(idx, range):
            blobs.extend(day.blobs[idx.start : idx.stop])
        else:
            day_blobs = day.blobs
            blobs.extend(day_blobs[i] for i in idx)
    nxt = HistoryPos(page.last.ordinal, page.last.index + 1).encode()
    return _page(emu, blobs, nxt), len(blobs)


# ---------------------------------------------------------------------- arrival-ordered streams
def _arrival_start(raw_pos: str | None, now: int, floor: int) -> ArrivalPos | None:
    """Decode a stream position; None means `now` (answer with the latest position)."""
    if raw_pos == "now":
        return None
    if raw_pos in (None, "", "0"):
        return ArrivalPos(floor, 0)
    try:
        pos = decode_arrival(parse_int(raw_pos), max_arrival=now)
    except InvalidPosition:
        raise _invalid_position() from None
    return pos if pos.arrival >= floor else ArrivalPos(floor, 0)


def admin_logs_streaming(emu: Emulator, query: dict[str, str], plan: FaultPlan | None) -> tuple[bytes, int]:
    now = math.floor(emu.clock.now().timestamp())
    floor = now - emu.config.streaming_retention_days * DAY
    limit = _limit(query, MAX_LIMIT, strict=True)
    types = _event_types(query)
    start = _arrival_start(query.get("stream_position"), now, floor)
    if start is None:
        return _page(emu, [], ArrivalPos(now + 1, 0).encode()), 0
    predicate = None
    if types is not None:

        def predicate(day: DayData, i: int) -> bool:
            return day.types[i] in types

    page = emu.store.arrivals(
        after=start,
        now=now,
        min_created=floor,
        predicate=predicate,
        limit=_effective_limit(limit, plan),
        lane="streaming",
    )
    blobs = [day.blobs[i] for day, i, _ in page.refs]
    end = page.end
    # at-least-once, out of order: duplicates within the page, adjacent swaps, and now and
    # then a next position that replays the page's last two events
    rng = random.Random(day_seed(emu.config.seed, start.encode(), "stream"))
    rate = emu.knobs.streaming_duplicate_rate
    out = list(blobs)
    for blob in [b for b in blobs if rng.random() < rate]:
        out.insert(rng.randrange(out.index(blob) + 1, len(out) + 1), blob)
    for j in range(len(out) - 1):
        if rng.random() < 0.05:
            out[j], out[j + 1] = out[j + 1], out[j]
    if len(page.refs) >= 3 and rng.random() < rate:
        end = page.refs[-3][2]
    return _page(emu, out, end.encode()), len(out)


def user_stream(
    emu: Emulator,
    query: dict[str, str],
    token: AccessToken,
    stream_type: str,
    plan: FaultPlan | None,
) -> tuple[bytes, int]:
    now = math.floor(emu.clock.now().timestamp())
    floor = now - USER_STREAMS[stream_type] * DAY
    limit = _limit(query, MAX_USER_LIMIT, strict=False)
    start = _arrival_start(query.get("stream_position"), now, floor)
    if start is None:
        return _page(emu, [], emu.store.latest(now, added=emu.added).encode()), 0
    page = emu.store.arrivals(
        after=start,
        now=now,
        min_created=floor,
        predicate=user_predicate(token.user.id, stream_type),
        limit=_effective_limit(limit, plan),
        added=emu.added,
    )
    blobs = [user_blob(day, i) for day, i, _ in page.refs]
    return _page(emu, blobs, page.end.encode()), len(blobs)


def user_predicate(user_id: str, stream_type: str):
    """Which enterprise events belong to a user's `all` / `changes` / `sync` stream."""
    sources = _ALL_SOURCES if stream_type == "all" else _CHANGES_SOURCES

    def predicate(day: DayData | AddedEvents, i: int) -> bool:
        if isinstance(day, AddedEvents):
            return day.actors[i] == user_id and day.in_stream(i, stream_type)
        if day.actors[i] != user_id or day.types[i] not in sources:
            return False
        # `sync` only covers synced folders: a stable half of the user's changes
        return stream_type != "sync" or day.ids[i][0] in "01234567"

    return predicate


def user_blob(day: DayData | AddedEvents, i: int) -> bytes:
    """The bytes of one user-stream entry (added events are stored in that shape already)."""
    if isinstance(day, AddedEvents):
        return day.blobs[i]
    return orjson.dumps(to_user_event(day, i))


def to_user_event(day: DayData, i: int) -> dict[str, Any]:
    """An enterprise event as the user streams show it: user type names, `recorded_at`."""
    event = orjson.loads(day.blobs[i])
    event["event_type"] = USER_STREAM_NAMES[event["event_type"]]
    event["recorded_at"] = datetime.fromtimestamp(day.arrival[i], PACIFIC).isoformat()
    return event


def has_user_events_after(emu: Emulator, user_id: str, raw_pos: str | None) -> bool:
    """True when the user's `all` stream has events after the position (long-poll check)."""
    now = math.floor(emu.clock.now().timestamp())
    floor = now - USER_STREAMS["all"] * DAY
    try:
        start = _arrival_start(raw_pos, now, floor)
    except ApiError:
        return False
    if start is None:
        return False
    page = emu.store.arrivals(
        after=start,
        now=now,
        min_created=floor,
        predicate=user_predicate(user_id, "all"),
        limit=1,
        added=emu.added,
    )
    return bool(page.refs)


def latest_user_position(emu: Emulator) -> int:
    """The user streams' position after every event arrived by now (their `stream_position=now`).

    It names the events of the current second one by one (not "the next second"), so an event a
    test adds in this same second (`Emulator.add_user_event`) still comes after it.
    """
    return emu.store.latest(math.floor(emu.clock.now().timestamp()), added=emu.added).encode()
