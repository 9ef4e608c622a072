"""The ASGI application: routing, auth, faults, and the `/_emulator/*` control endpoints.

Why raw ASGI rather than a framework: a page is a byte join of pre-serialized events, and the
emulator must push well over 100k events/s to one client; a framework's request/response
objects would cost more than the page itself. The routes are few enough to read in one place.

Routes:
  GET     /2.0/events             events (all stream types), with the profile's faults and,
                                  for admin_logs, `corrupt_answer` (see corruption.py)
  OPTIONS /2.0/events             realtime server for long polling (user streams); a new
                                  channel each call
  GET     /subscribe              the long-poll URL handed out by OPTIONS
  GET     /2.0/users/me           the token's user (or the As-User's) as a user mini
  POST    /oauth2/token           CCG, JWT bearer
  GET     /_emulator/oracle       ground truth for a window (for pipelines in a subprocess)
  GET     /_emulator/clock        {"now": iso};  POST {"set": iso} | {"advance_seconds": n}
  GET     /_emulator/stats        request/fault/token counters
  GET     /_emulator/planted      the planted incidents of the retained year
  GET     /_emulator/users        the enterprise's users: [{"id", "login", "name", "role",
                                  "is_admin", "service_account"}]
  POST    /_emulator/user_events  {"user_id", "event_type"?, "at"?} -> {"event_id"}: a change in
                                  one user's streams now (Emulator.add_user_event)

`As-User: <user id>` on GET and OPTIONS /2.0/events reads that user's streams (auth.act_as).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import orjson

from box_emulator import api
from box_emulator.auth import WWW_AUTHENTICATE_INVALID, WWW_AUTHENTICATE_MISSING, TokenError
from box_emulator.corruption import Answer, Corruption
from box_emulator.emulator import Emulator
from box_emulator.errors import ApiError, client_error, oauth_error

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
JSON = (b"content-type", b"application/json")
log = logging.getLogger(__name__)


class Dropped(Exception):
    """The request's connection was dropped on purpose."""


class BoxEmulatorApp:
    """ASGI app over one `Emulator`."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self.corruption = Corruption(emulator)
        # set by EmulatorServer: closes the connection carrying `scope` (no answer at all)
        self.connection_closer: Callable[[dict[str, Any]], Awaitable[bool]] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        while path.startswith("/2.0/2.0/"):  # SDK base_url given with /2.0 already
            path = path[4:]
        method: str = scope["method"]
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.emu.count(requests=1)
        request_id = self.emu.next_request_id()
        try:
            if path == "/2.0/events" and method == "GET":
                await self._events(scope, send, query, headers, request_id)
            elif path == "/2.0/events" and method == "OPTIONS":
                await self._options(send, headers, request_id)
            elif path == "/2.0/users/me" and method == "GET":
                await self._me(send, headers)
            elif path == "/subscribe" and method == "GET":
                await self._longpoll(send, receive, query)
            elif path == "/oauth2/token" and method == "POST":
                body = await _read_body(receive)
                await self._token(send, body, headers)
            elif path.startswith("/_emulator/"):
                body = await _read_body(receive) if method == "POST" else b""
                await self._control(send, path, method, query, body)
            else:
                raise ApiError(404, f"Not Found: {method} {path}", code="not_found")
        except ApiError as exc:
            await self._error(send, exc, request_id)
        except Dropped:
            return

    # ------------------------------------------------------------------ events
    async def _events(
        self,
        scope: dict[str, Any],
        send: Send,
        query: dict[str, str],
        headers: dict[str, str],
        request_id: str,
    ) -> None:
        emu = self.emu
        emu.count(events_requests=1)
        plan = emu.faults.plan()
        if plan.latency_s > 0:
            await asyncio.sleep(plan.latency_s)
        token = emu.auth.lookup(headers.get("authorization"))
        if token is None:
            raise _unauthorized(bool(headers.get("authorization")))
        if plan.revoke_token and emu.auth.revoke(token):
            emu.count(tokens_revoked=1)
            raise _unauthorized(True)
        retry_after = emu.rate_limiter.check(token.user.id)
        if retry_after is not None:
            emu.count(rate_limited_429=1)
            raise _too_many(retry_after)
        if plan.random_429_retry_after is not None:
            emu.count(random_429=1)
            raise _too_many(plan.random_429_retry_after)
        if plan.error_status is not None:
            status = plan.error_status
            extra = [(b"retry-after", b"1")] if status == 503 else []
            raise ApiError(
                status,
                "Internal Server Error"
                if status == 500
                else "Service Unavailable"
                if status == 503
                else "Bad Gateway",
                headers=extra,
            )
        if "as-user" in headers:
            token = emu.auth.act_as(token, headers["as-user"])
        # broken answers on purpose come after auth and faults, like a real answer would
        if self.corruption.due(query):
            answer = self.corruption.answer(query, token, plan)
        else:
            answer = Answer(*api.get_events(emu, query, token, plan))
        if plan.drop is not None:
            emu.count(drops=1)
            await self._drop(scope, send, answer.body, plan.drop)
            raise Dropped
        self.corruption.page_answered(query)
        if answer.corrupt:
            emu.count(corrupt_answers=1, responses_200=1)
        else:
            emu.count(events_served=answer.events, responses_200=1)
        await _respond(send, 200, answer.body, content_type=answer.content_type)

    async def _drop(self, scope: dict[str, Any], send: Send, body: bytes, mode: str) -> None:
        """Drop the connection on purpose: no answer (`close`), or the headers and a third of
        the body (`headers_then_abort`). Never raises: a fault made on purpose is one log line,
        not an ASGI traceback."""
        # logged first, so the line is there by the time the client sees the connection go
        log.warning(
            "emulator: dropped the connection of %s %s on purpose (%s)", scope["method"], scope["path"], mode
        )
        closer = self.connection_closer
        if mode == "headers_then_abort" or closer is None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [JSON, (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body[: len(body) // 3], "more_body": True})
        if closer is not None:
            await closer(scope)
        # without a closer (another ASGI server), the unfinished response makes that server
        # close the connection itself

    async def _options(self, send: Send, headers: dict[str, str], request_id: str) -> None:
        emu = self.emu
        emu.count(options_requests=1)
        token = emu.auth.lookup(headers.get("authorization"))
        if token is None:
            raise _unauthorized(bool(headers.get("authorization")))
        if "as-user" in headers:  # the channel then belongs to that user
            token = emu.auth.act_as(token, headers["as-user"])
        host = headers.get("host", "127.0.0.1")
        channel = emu.channel_for(token.user.id)
        cfg = emu.config
        body = {
            "chunk_size": 1,
            "entries": [
                {
                    "type": "realtime_server",
                    "url": f"http://{host}/subscribe?channel={channel}&stream_type=all",
                    "ttl": cfg.realtime_ttl,
                    "max_retries": cfg.realtime_max_retries,
                    "retry_timeout": cfg.realtime_retry_timeout,
                }
            ],
        }
        await _respond(send, 200, orjson.dumps(body))

    async def _me(self, send: Send, headers: dict[str, str]) -> None:
        token = self.emu.auth.lookup(headers.get("authorization"))
        if token is None:
            raise _unauthorized(bool(headers.get("authorization")))
        if "as-user" in headers:
            token = self.emu.auth.act_as(token, headers["as-user"])
        await _respond(send, 200, orjson.dumps(token.user.mini))

    async def _longpoll(self, send: Send, receive: Receive, query: dict[str, str]) -> None:
        emu = self.emu
        emu.count(longpolls=1)
        user_id, polls = emu.poll_channel(query.get("channel", ""))
        if user_id is None:
            await _respond(send, 200, b'{"message":"reconnect"}')
            return
        limit = emu.config.longpoll_max_retries_after
        if limit is not None and polls > limit:
            # UNVERIFIED shape: Box's docs only say a client that gets a max_retries error must
            # call OPTIONS again; we answer like the other messages (200, {"message": ...})
            await _respond(send, 200, b'{"message":"max_retries"}')
            return
        if emu.config.longpoll_hang:  # never answer: wait until the client gives up
            await _until_disconnect(receive)
            raise Dropped
        position = query.get("stream_position") or "now"
        if position == "now":
            position = str(api.latest_user_position(emu))
        deadline = time.monotonic() + emu.knobs.longpoll_timeout_seconds
        while True:
            if api.has_user_events_after(emu, user_id, position):
                await _respond(send, 200, b'{"message":"new_change"}')
                return
            if time.monotonic() >= deadline:
                await _respond(send, 200, b'{"message":"reconnect"}')
                return
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------ tokens
    async def _token(self, send: Send, body: bytes, headers: dict[str, str]) -> None:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        host = headers.get("host", "127.0.0.1")
        try:
            answer = self.emu.auth.issue(form, {f"http://{host}/oauth2/token"})
        except TokenError as exc:
            self.emu.count(token_errors=1)
            await _respond(send, exc.status, oauth_error(exc.error, exc.description))
            return
        self.emu.count(tokens_issued=1)
        await _respond(send, 200, orjson.dumps(answer))

    # ------------------------------------------------------------------ control plane
    async def _control(self, send: Send, path: str, method: str, query: dict[str, str], body: bytes) -> None:
        emu = self.emu
        if path == "/_emulator/oracle" and method == "GET":
            after = _lenient_dt(query.get("created_after"), "created_after")
            before = _lenient_dt(query.get("created_before"), "created_before")
            at = _lenient_dt(query["at"], "at") if query.get("at") else None
            types = _types(query.get("event_type"))
            ids = emu.oracle.event_ids(after, before, types, at)
            counts = emu.oracle.counts_by_type(after, before, types, at)
            answer = {"count": len(ids), "event_ids": sorted(ids), "counts_by_type": counts}
            await _respond(send, 200, orjson.dumps(answer))
        elif path == "/_emulator/clock" and method in ("GET", "POST"):
            if method == "POST":
                try:
                    command = orjson.loads(body or b"{}")
                except orjson.JSONDecodeError:
                    raise ApiError(400, "clock body must be JSON") from None
                if "set" in command:
                    emu.clock.set(_lenient_dt(command["set"], "set"))
                elif "advance_seconds" in command:
                    emu.clock.advance(timedelta(seconds=float(command["advance_seconds"])))
                else:
                    raise ApiError(400, 'clock body needs "set" or "advance_seconds"')
            await _respond(send, 200, orjson.dumps({"now": emu.clock.now().isoformat()}))
        elif path == "/_emulator/stats" and method == "GET":
            await _respond(send, 200, orjson.dumps(emu.stats_dict()))
        elif path == "/_emulator/planted" and method == "GET":
            planted = [
                {
                    "kind": p.kind,
                    "day": p.day.isoformat(),
                    "actor_login": p.actor_login,
                    "subject_login": p.subject_login,
                    "event_ids": list(p.event_ids),
                }
                for p in emu.planted()
            ]
            await _respond(send, 200, orjson.dumps(planted))
        elif path == "/_emulator/users" and method == "GET":
            ent = emu.enterprise
            users = [
                {
                    "id": u.id,
                    "login": u.login,
                    "name": u.name,
                    "role": u.role,
                    "is_admin": u.role in ("admin", "coadmin"),
                    "service_account": service,
                }
                for service, group in ((False, ent.users), (True, ent.service_accounts))
                for u in group
            ]
            await _respond(send, 200, orjson.dumps(users))
        elif path == "/_emulator/user_events" and method == "POST":
            try:
                command = orjson.loads(body or b"{}")
            except orjson.JSONDecodeError:
                raise ApiError(400, "user_events body must be JSON") from None
            if not isinstance(command, dict) or not isinstance(command.get("user_id"), str):
                raise ApiError(400, 'user_events body needs "user_id" (and optionally "event_type", "at")')
            at = _lenient_dt(command["at"], "at") if command.get("at") else None
            try:
                event_id = emu.add_user_event(
                    command["user_id"], str(command.get("event_type") or "ITEM_UPLOAD"), at=at
                )
            except KeyError:
                raise ApiError(
                    404, f"no user {command['user_id']!r} in the enterprise", code="not_found"
                ) from None
            await _respond(send, 200, orjson.dumps({"event_id": event_id}))
        else:
            raise ApiError(404, f"Not Found: {method} {path}", code="not_found")

    async def _error(self, send: Send, exc: ApiError, request_id: str) -> None:
        emu = self.emu
        if exc.status == 429:
            emu.count(throttled_429=1)
        elif exc.status >= 500:
            emu.count(errors_5xx=1)
        elif exc.status in (400, 401, 403):
            emu.count(**{f"responses_{exc.status}": 1})
        body = client_error(
            exc.status,
            exc.message,
            code=exc.code,
            request_id=request_id,
            context_info=exc.context_info,
        )
        await _respond(send, exc.status, body, exc.headers)


def _unauthorized(had_header: bool) -> ApiError:
    header = WWW_AUTHENTICATE_INVALID if had_header else WWW_AUTHENTICATE_MISSING
    return ApiError(401, "Unauthorized", code="unauthorized", headers=[(b"www-authenticate", header)])


def _too_many(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "Request rate limit exceeded, please try again later",
        code="rate_limit_exceeded",
        headers=[(b"retry-after", str(retry_after).encode())],
    )


def _types(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    return [t.strip() for t in raw.split(",") if t.strip()] or None


def _lenient_dt(raw: str | None, name: str) -> datetime:
    if not raw:
        raise ApiError(400, f"missing parameter {name}")
    text = raw.strip().replace("Z", "+00:00")
    if len(text) > 6 and text[-6] == " ":  # an unencoded '+' in a test helper's URL
        text = text[:-6] + "+" + text[-5:]
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"invalid {name}: {raw!r}") from None
    if dt.tzinfo is None:
        raise ApiError(400, f"{name} needs a time zone offset")
    return dt


async def _until_disconnect(receive: Receive) -> None:
    """Wait until the client closes the connection (ASGI `http.disconnect`)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    content_type: bytes = JSON[1],
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
