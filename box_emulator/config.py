"""Emulator configuration: the data knobs, the delivery knobs, and the three profiles.

Why profiles: a pipeline must be proven against a clean API (correctness), a realistic one
(rate limits, the odd 5xx, short pages, 5-minute tokens) and a hostile one (everything that
can go wrong in delivery). Every delivery knob is also a field of its own so a test can switch
exactly one behaviour on; a field left at `None` takes the profile's value (see `knobs`).

Data knobs (seed, volume, mix, scenarios, arrival delays) never depend on the profile: faults
change how events are delivered, never which events exist.

Replay (`replay_events`): instead of a generated history, the emulator serves exactly the Box
event objects it is given, byte for byte as JSON, through the same API and oracle (see
`box_emulator/replay.py`). `replay_timestamps` checks them before anything is built.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any, Literal

Profile = Literal["clean", "realistic", "hostile"]
Mix = Literal["default", "benign"]


@dataclass(frozen=True, slots=True)
class Knobs:
    """Delivery behaviour, fully resolved (no `None`)."""

    rate_limit_per_minute: int | None
    latency_ms: tuple[int, int]
    slow_rate: float
    slow_ms: int
    error_rate: float
    random_429_rate: float
    retry_after_choices: tuple[int, ...]
    drop_rate: float
    short_page_rate: float
    token_ttl_seconds: float
    token_revoke_rate: float
    positions_as_numbers: bool
    legacy_zero_position: bool
    streaming_duplicate_rate: float
    longpoll_timeout_seconds: float


PROFILES: dict[str, dict[str, Any]] = {
    "clean": {
        "rate_limit_per_minute": None,
        "latency_ms": (0, 0),
        "slow_rate": 0.0,
        "slow_ms": 0,
        "error_rate": 0.0,
        "random_429_rate": 0.0,
        "retry_after_choices": (1,),
        "drop_rate": 0.0,
        "short_page_rate": 0.0,
        "token_ttl_seconds": 3600.0,
        "token_revoke_rate": 0.0,
        "positions_as_numbers": False,
        "legacy_zero_position": False,
        "streaming_duplicate_rate": 0.02,
        "longpoll_timeout_seconds": 2.0,
    },
    "realistic": {
        "rate_limit_per_minute": 1000,
        "latency_ms": (20, 80),
        "slow_rate": 0.0,
        "slow_ms": 0,
        "error_rate": 0.002,
        "random_429_rate": 0.0,
        "retry_after_choices": (1,),
        "drop_rate": 0.0,
        "short_page_rate": 0.05,
        "token_ttl_seconds": 300.0,
        "token_revoke_rate": 0.0,
        "positions_as_numbers": False,
        "legacy_zero_position": False,
        "streaming_duplicate_rate": 0.02,
        "longpoll_timeout_seconds": 2.0,
    },
    "hostile": {
        "rate_limit_per_minute": 1000,
        "latency_ms": (0, 60),
        "slow_rate": 0.02,
        "slow_ms": 700,
        "error_rate": 0.05,
        "random_429_rate": 0.05,
        # mostly 0-1 s so tests stay fast; Box's own answers are usually 1-2 s
        "retry_after_choices": (0, 1, 1, 1, 2),
        "drop_rate": 0.02,
        "short_page_rate": 0.3,
        "token_ttl_seconds": 45.0,
        "token_revoke_rate": 0.01,
        "positions_as_numbers": True,
        "legacy_zero_position": True,
        "streaming_duplicate_rate": 0.05,
        "longpoll_timeout_seconds": 1.0,
    },
}

KNOB_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Knobs))

#: Incidents the emulator can plant; each kind is the id of the detection rule that must find it
#: (what each one looks like: `box_emulator/incidents.py`).
SCENARIO_KINDS: tuple[str, ...] = (
    "mass_download",
    "failed_login_burst",
    "login_many_ips",
    "new_admin",
    "external_collab_invite",
    "malicious_file",
    "open_shared_link",
    "shield_anomalous_download",
    "shield_suspicious_login",
    "password_spray",
    "app_public_key_added",
    "governance_policy_removed",
    "many_items_deleted",
    "open_link_downloads",
    "token_for_new_app",
    "login_new_network",
    "box_support_access_granted",
    "many_permission_updates",
)

#: Broken answers the emulator can give on purpose (`EmulatorConfig.corrupt_answer`); what each
#: one looks like is in `box_emulator/corruption.py`.
CORRUPT_KINDS: tuple[str, ...] = (
    "invalid_json",
    "html",
    "null",
    "entries_not_list",
    "missing_event_id",
    "bad_created_at",
    "missing_position",
    "stuck_position_same",
    "stuck_position_new",
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One incident to plant: `kind` (see SCENARIO_KINDS) on UTC day `day`."""

    kind: str
    day: date

    def __post_init__(self) -> None:
        if self.kind not in SCENARIO_KINDS:
            raise ValueError(f"unknown scenario kind {self.kind!r}; expected one of {SCENARIO_KINDS}")


ScenarioLike = Scenario | tuple[str, date | str] | str


def _to_scenario(item: ScenarioLike) -> Scenario:
    if isinstance(item, Scenario):
        return item
    if isinstance(item, str):  # "kind@2026-11-20"
        kind, _, day = item.partition("@")
        return Scenario(kind, date.fromisoformat(day))
    kind, day = item
    return Scenario(kind, day if isinstance(day, date) else date.fromisoformat(day))


def replay_timestamps(events: Sequence[Mapping[str, Any]]) -> list[int]:
    """The `created_at` of each event to replay, in epoch seconds (fractions dropped).

    Every event needs a non-empty string `event_id`, unique among them, and a `created_at` that
    is an ISO 8601 / RFC 3339 date-time with an offset; otherwise ValueError naming the event.
    """
    if isinstance(events, str | bytes | Mapping) or not isinstance(events, Sequence):
        raise ValueError(f"replay_events must be a list of Box event objects, not {type(events).__name__}")
    seen: set[str] = set()
    stamps: list[int] = []
    for i, event in enumerate(events):
        if not isinstance(event, Mapping):
            raise ValueError(f"replay_events[{i}] is {type(event).__name__}, not an event object")
        event_id = event.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            raise ValueError(f"replay_events[{i}] has no string event_id (got {event_id!r})")
        if event_id in seen:
            raise ValueError(f"replay_events[{i}]: event_id {event_id!r} occurs more than once")
        seen.add(event_id)
        raw = event.get("created_at")
        try:
            created = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            created = None
        if created is None or created.utcoffset() is None:
            raise ValueError(
                f"replay_events[{i}] (event_id {event_id!r}): created_at {raw!r} is not a date-time "
                "with an offset, e.g. 2026-03-07T08:10:18-08:00"
            )
        stamps.append(math.floor(created.timestamp()))
    return stamps


@dataclass
class EmulatorConfig:
    """Everything that defines one emulated Box enterprise and how its API behaves.

    `scenarios=None` means "the mix's default": with `mix="default"` one incident of a rotating
    kind is planted every 10 days (all 18 kinds within 180 days); with `mix="benign"` nothing is
    planted. Pass a list (of `Scenario`, `(kind, date)` or `"kind@YYYY-MM-DD"`) to plant exactly
    those, `[]` for none.

    `floor_period_days` (default 10) puts one event of every type of the mix into each such
    period whatever its natural rate; 0 leaves only the natural rates (for noise benchmarks).

    `replay_events` (a list of Box event dicts) replaces the generated history: the API serves
    exactly those events and the oracle knows exactly them; `events_per_day`, `mix` and the
    arrival delays then do not apply, and no scenario can be planted.
    """

    seed: int = 42
    events_per_day: int = 2000
    profile: Profile = "clean"
    mix: Mix = "default"
    scenarios: Sequence[ScenarioLike] | None = None
    replay_events: Sequence[Mapping[str, Any]] | None = None

    # the enterprise
    company_domain: str = "example.com"
    n_users: int = 300
    n_external: int = 30
    enterprise_id: str = "818181"
    client_id: str = "emu0client0id0000000000000000001"
    client_secret: str = "emu0client0secret000000000000001"
    developer_token: str = "emu0developer0token0admin0000001"
    non_admin_token: str = "emu0developer0token0user00000001"
    jwt_public_keys: Mapping[str, str] = field(default_factory=dict)

    # data and API semantics (profile-independent)
    max_arrival_delay: timedelta = timedelta(hours=2)
    retention_days: int = 365
    streaming_retention_days: int = 14
    created_after_inclusive: bool = True
    created_before_inclusive: bool = False
    cache_days: int = 40
    # the floor: every type of the mix once every `floor_period_days` days, however rare it is
    # naturally (so any such window holds every type); 0 = natural rates only (noise benchmarks)
    floor_period_days: int = 10

    # the live lane (admin_logs_streaming), apart from admin_logs' arrival delay (streaming.py):
    # Box shows an event there about 12 s after it processed it, while admin_logs takes minutes
    # to hours; each event shows `buffer + u * jitter` seconds after created_at (u from a hash
    # of its event id). `streaming_withheld_share` of the events (by the same hash) never show
    # on the live lane but are in admin_logs: what a pipeline's admin_logs sweep exists to catch.
    # 0 in every profile: tests that want lost live events set it.
    streaming_buffer_seconds: float = 12.0
    streaming_buffer_jitter_seconds: float = 4.0
    streaming_withheld_share: float = 0.0

    # user streams and long polling (profile-independent)
    # "perform actions as users" granted to the app: lets an admin caller read another user's
    # stream with `As-User: <user id>` (off: every As-User request is a 403)
    as_user_permission: bool = True
    # what OPTIONS /events answers; Box sends ttl and max_retries as strings, retry_timeout as a
    # number of seconds (the client's timeout for one long poll)
    realtime_ttl: str = "10"
    realtime_max_retries: str = "10"
    realtime_retry_timeout: int = 610
    # after this many long polls on one channel URL the real-time server answers
    # {"message": "max_retries"} and the client must call OPTIONS again (None: never)
    longpoll_max_retries_after: int | None = None
    # the long poll never answers (until the client gives up): proves a client's retry_timeout
    longpoll_hang: bool = False

    # broken answers on purpose (profile-independent, off by default): from the
    # (corrupt_after_requests + 1)-th admin_logs page on, every page is answered as `corrupt_answer`
    corrupt_answer: str | None = None
    corrupt_after_requests: int = 0

    # delivery knobs: None = the profile's value
    rate_limit_per_minute: int | None = None
    latency_ms: tuple[int, int] | None = None
    slow_rate: float | None = None
    slow_ms: int | None = None
    error_rate: float | None = None
    random_429_rate: float | None = None
    retry_after_choices: tuple[int, ...] | None = None
    drop_rate: float | None = None
    short_page_rate: float | None = None
    token_ttl_seconds: float | None = None
    token_revoke_rate: float | None = None
    positions_as_numbers: bool | None = None
    legacy_zero_position: bool | None = None
    streaming_duplicate_rate: float | None = None
    longpoll_timeout_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; expected one of {list(PROFILES)}")
        if self.mix not in ("default", "benign"):
            raise ValueError(f"unknown mix {self.mix!r}; expected 'default' or 'benign'")
        if self.events_per_day < 0:
            raise ValueError("events_per_day must be >= 0")
        if self.cache_days < 1:
            raise ValueError("cache_days must be >= 1")
        if self.floor_period_days < 0:
            raise ValueError("floor_period_days must be >= 0 (0 turns the floor off)")
        if self.corrupt_answer is not None and self.corrupt_answer not in CORRUPT_KINDS:
            raise ValueError(
                f"unknown corrupt_answer {self.corrupt_answer!r}; expected one of {list(CORRUPT_KINDS)}"
            )
        if self.streaming_buffer_seconds < 0 or self.streaming_buffer_jitter_seconds < 0:
            raise ValueError("streaming_buffer_seconds and streaming_buffer_jitter_seconds must be >= 0")
        if not 0.0 <= self.streaming_withheld_share <= 1.0:
            raise ValueError("streaming_withheld_share must be within [0, 1]")
        if self.longpoll_max_retries_after is not None and self.longpoll_max_retries_after < 0:
            raise ValueError("longpoll_max_retries_after must be >= 0 (or None: never)")
        if self.corrupt_after_requests < 0:
            raise ValueError("corrupt_after_requests must be >= 0")
        if self.replay_events is not None:
            replay_timestamps(self.replay_events)
            if self.scenarios:
                raise ValueError("replay_events serves only the given events: scenarios cannot be planted")

    @property
    def knobs(self) -> Knobs:
        """The delivery knobs with profile defaults filled in."""
        base = PROFILES[self.profile]
        values = {}
        for name in KNOB_NAMES:
            value = getattr(self, name)
            values[name] = base[name] if value is None else value
        # "rate_limit_per_minute=0" reads as "no limit" too
        if not values["rate_limit_per_minute"]:
            values["rate_limit_per_minute"] = None
        values["latency_ms"] = tuple(values["latency_ms"])
        values["retry_after_choices"] = tuple(values["retry_after_choices"])
        return Knobs(**values)

    def explicit_scenarios(self) -> list[Scenario] | None:
        """The configured scenarios, normalised; None when the rotating default applies."""
        if self.replay_events is not None:
            return []
        if self.scenarios is None:
            return None if self.mix == "default" else []
        return [_to_scenario(s) for s in self.scenarios]
