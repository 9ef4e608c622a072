"""Broken `admin_logs` answers on purpose: `EmulatorConfig.corrupt_answer`.

Why: a pipeline must notice a server that answers 200 with something that is not a page (or a
page that does not move on) and stop with a clear error, rather than load garbage or loop
forever. The faults of the profiles only break *delivery* (429, 5xx, dropped connections);
these break the *answer*, over the same real HTTP, and only from the
`corrupt_after_requests + 1`-th admin_logs page on, so a test can let a run start normally.

The kinds (`config.CORRUPT_KINDS`), each a 200:
  invalid_json         body `{"entries": [` (truncated JSON)
  html                 content-type text/html, an HTML error page
  null                 body `null`
  entries_not_list     `{"chunk_size": 1, "entries": {"oops": 1}, "next_stream_position": <real>}`
  missing_event_id     the real page, its first entry without `event_id`
  bad_created_at       the real page, its first entry's `created_at` = "yesterday at noon"
  missing_position     the real page without `next_stream_position`
  stuck_position_same  the real first page of the request's window and filter, every time, with
                       `next_stream_position` = the position the client sent (on a request
                       without one: the real first page's next position)
  stuck_position_new   fresh made-up events (new `event_id`s, valid shape, `created_at` inside
                       the window) every time, with `next_stream_position` = the position the
                       client sent (on a request without one: `STUCK_START_POSITION`)

An empty page has no first entry to break: `missing_event_id` and `bad_created_at` then serve it
as it is. Broken answers never touch the data, so the oracle is unchanged; they are counted in
`stats.corrupt_answers` (and `responses_200`), not in `events_served`.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from box_emulator import api
from box_emulator.auth import AccessToken
from box_emulator.emulator import Emulator
from box_emulator.faults import FaultPlan
from box_emulator.generator import PACIFIC

JSON_TYPE = b"application/json"
HTML_TYPE = b"text/html"
INVALID_JSON = b'{"entries": ['
HTML_PAGE = b"<html><body>Service temporarily unavailable</body></html>"
BAD_CREATED_AT = "yesterday at noon"
#: The position `stuck_position_new` hands out when the client sent none (2^60 + 1: the shape of a
#: history position, but never a real one).
STUCK_START_POSITION = "1152921504606846977"
_NO_POSITION = (None, "", "0")


@dataclass(frozen=True, slots=True)
class Answer:
    """One 200 answer to `GET /2.0/events`: the body, and what the stats should count."""

    body: bytes
    events: int = 0  # real events served (counted in `events_served`)
    content_type: bytes = JSON_TYPE
    corrupt: bool = False


class Corruption:
    """Counts the admin_logs pages answered and builds the broken ones once they are due.

    Only the app's event loop calls it, with no `await` between `due` and `page_answered`, so
    the counter needs no lock.
    """

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.kind = emu.config.corrupt_answer
        self.after = emu.config.corrupt_after_requests
        self._pages_answered = 0
        self._made_up = 0

    def due(self, query: dict[str, str]) -> bool:
        """True when this request's answer is to be broken (admin_logs, past the first N pages)."""
        return (
            self.kind is not None
            and query.get("stream_type") == "admin_logs"
            and self._pages_answered >= self.after
        )

    def page_answered(self, query: dict[str, str]) -> None:
        """Count one admin_logs page actually sent (real or broken; not errors, not drops)."""
        if query.get("stream_type") == "admin_logs":
            self._pages_answered += 1

    def answer(self, query: dict[str, str], token: AccessToken, plan: FaultPlan | None) -> Answer:
        """The broken answer of kind `self.kind`; 400/403 still come first, as on real pages."""
        if self.kind in ("stuck_position_same", "stuck_position_new"):
            return self._stuck(query, token)
        body, n = api.get_events(self.emu, query, token, plan)
        if self.kind == "invalid_json":
            return Answer(INVALID_JSON, corrupt=True)
        if self.kind == "html":
            return Answer(HTML_PAGE, content_type=HTML_TYPE, corrupt=True)
        if self.kind == "null":
            return Answer(b"null", corrupt=True)
        page = orjson.loads(body)
        if self.kind == "entries_not_list":
            broken = {
                "chunk_size": 1,
                "entries": {"oops": 1},
                "next_stream_position": page["next_stream_position"],
            }
            return Answer(orjson.dumps(broken), corrupt=True)
        if self.kind == "missing_position":
            del page["next_stream_position"]
            return Answer(orjson.dumps(page), corrupt=True)
        if not page["entries"]:  # nothing to break on an empty page
            return Answer(body, events=n)
        first = page["entries"][0]
        if self.kind == "missing_event_id":
            del first["event_id"]
        else:  # bad_created_at
            first["created_at"] = BAD_CREATED_AT
        return Answer(orjson.dumps(page), corrupt=True)

    # ------------------------------------------------------------------ positions that never move
    def _stuck(self, query: dict[str, str], token: AccessToken) -> Answer:
        # the window's first page, whatever position was sent (and no short-page fault, so it
        # is the same page every time); the position is not decoded, so any string comes back
        start = {k: v for k, v in query.items() if k != "stream_position"}
        first = orjson.loads(api.get_events(self.emu, start, token, None)[0])
        sent = query.get("stream_position")
        if self.kind == "stuck_position_same":
            entries = first["entries"]
            position = first["next_stream_position"] if sent in _NO_POSITION else self._wire(sent)
        else:
            entries = self._made_up_events(first["entries"], query)
            position = self._wire(STUCK_START_POSITION if sent in _NO_POSITION else sent)
        page = {"chunk_size": len(entries), "next_stream_position": position, "entries": entries}
        return Answer(orjson.dumps(page), corrupt=True)

    def _wire(self, position: str) -> int | str:
        """A position as this emulator writes them: a bare number under `positions_as_numbers`."""
        if self.emu.knobs.positions_as_numbers and position.isdigit() and int(position) < 1 << 63:
            return int(position)
        return position

    def _made_up_events(self, templates: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
        """Copies of the window's first page under fresh event ids (one blank event if it is empty)."""
        out = []
        for template in templates or [self._blank_event(query)]:
            self._made_up += 1
            digest = hashlib.blake2b(
                f"made-up:{self.emu.config.seed}:{self._made_up}".encode(), digest_size=16
            )
            out.append({**template, "event_id": str(uuid.UUID(bytes=digest.digest(), version=4))})
        return out

    def _blank_event(self, query: dict[str, str]) -> dict[str, Any]:
        """A LOGIN-shaped event in the middle of the requested window (or of the retained year)."""
        cfg = self.emu.config
        now = self.emu.clock.now().timestamp()
        after = query.get("created_after")
        before = query.get("created_before")
        lo = api.parse_rfc3339("created_after", after) if after else now - cfg.retention_days * api.DAY
        hi = min(now, api.parse_rfc3339("created_before", before)) if before else now
        created = math.floor((lo + hi) / 2)
        types = [t.strip() for t in query.get("event_type", "").split(",") if t.strip()]
        login = f"made.up@{cfg.company_domain}"
        return {
            "type": "event",
            "event_id": "",
            "event_type": types[0] if types else "LOGIN",
            "created_at": datetime.fromtimestamp(created, PACIFIC).isoformat(),
            "created_by": {"type": "user", "id": "11446498", "name": "Made Up", "login": login},
            "session_id": None,
            "ip_address": "203.0.113.7",
            "action_by": None,
            "source": None,
            "additional_details": None,
        }
