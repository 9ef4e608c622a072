"""The default mix looks like a real enterprise, and each planted incident is exactly its pattern.

Two worlds. A big one (1,000 users, 40,000 events a weekday, 30 days, no floor, nothing planted)
is generated day by day straight from the generator (no HTTP) and summarised as it goes (a
day's events are dropped once read), in one test with a subtest per check so that only one
xdist worker spends the ~20 s: it shows the habits (partners, mobile users, admins, service
accounts) and that natural rates stay below what the detections look for. A default
world with all 18 kinds planted on one day shows each incident's exact pattern against the
history before it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest

from box_emulator import Emulator, EmulatorConfig, ManualClock, PlantedIncident, Scenario
from box_emulator.config import SCENARIO_KINDS
from box_emulator.enterprise import FREE_MAIL_DOMAINS, PARTNER_DOMAINS, Enterprise, network16
from box_emulator.event_types import HIGH_RISK_EVENT_TYPES
from box_emulator.generator import Generator
from box_emulator.testing import DEFAULT_TEST_NOW

NOW = DEFAULT_TEST_NOW
BIG_DAYS = 30
FIRST_BIG_DAY = NOW.date() - timedelta(days=BIG_DAYS)
AUTH_TYPES = {"LOGIN", "FAILED_LOGIN", "ADMIN_LOGIN"}
DEVICE_TYPES = {
    "ADD_LOGIN_ACTIVITY_DEVICE",
    "REMOVE_LOGIN_ACTIVITY_DEVICE",
    "ADD_DEVICE_ASSOCIATION",
    "REMOVE_DEVICE_ASSOCIATION",
    "DEVICE_TRUST_CHECK_FAILED",
}
ROLE_RANK = {"user": 0, "coadmin": 1, "admin": 2}
TOKEN = "USER_AUTHENTICATE_OAUTH2_ACCESS_TOKEN_CREATE"
PERMISSION_TYPES = {"COLLABORATION_ROLE_CHANGE", "CHANGE_FOLDER_PERMISSION", "ITEM_SHARED_UPDATE"}
#: types read in full (decoded) in the big world; the others are counted by type and creator
DECODED = {
    *AUTH_TYPES,
    *HIGH_RISK_EVENT_TYPES,
    "SHIELD_ALERT",
    "COLLABORATION_INVITE",
    "COLLABORATION_ACCEPT",
    "COLLABORATION_ROLE_CHANGE",
    "SHARE",
    "ITEM_SHARED_UPDATE",
    TOKEN,
}
SENSITIVE = {"Confidential", "Restricted"}


def _ts(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["created_at"])


def _span(events: list[dict[str, Any]]) -> timedelta:
    times = sorted(_ts(e) for e in events)
    return times[-1] - times[0]


def _max_in_window(times: list[int], seconds: int) -> int:
    """The most of `times` (epoch seconds) that fit in any window of `seconds`."""
    times, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= seconds:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# ---------------------------------------------------------------------- the big natural world
@dataclass
class Natural:
    """What 30 natural days of a 1,000-person enterprise held (summarised while generated)."""

    ent: Enterprise
    volumes: list[int] = field(default_factory=list)
    high: Counter = field(default_factory=Counter)
    shield: list[tuple[int, str]] = field(default_factory=list)
    partner_days: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    partner_types: Counter = field(default_factory=Counter)
    external_auth: int = 0
    external_invite_roles: Counter = field(default_factory=Counter)
    partner_collabs: Counter = field(default_factory=Counter)  # event types about a partner user
    guest_events: int = 0
    open_links: int = 0
    open_sensitive_links: int = 0
    login_ips: dict[str, dict[int, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    failed_per_user_day: Counter = field(default_factory=Counter)
    failed_users_per_ip_day: dict[tuple[str, int], set[str]] = field(default_factory=lambda: defaultdict(set))
    downloads: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    deletes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    permission_changes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    service_downloads: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    service_ips: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    token_apps: dict[str, dict[int, set[tuple[str, str, str]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )

    def read_day(self, day: Any) -> None:
        self.volumes.append(len(day))
        partners = {u.id: u.domain for u in self.ent.partners}
        guests = {u.id for u in self.ent.guests}
        regular = {u.id for u in self.ent.regular_users}
        services = {u.id for u in self.ent.service_accounts}
        for i, event_type in enumerate(day.types):
            actor, ts = day.actors[i], day.ts[i]
            if actor in partners:
                self.partner_days[partners[actor]].add(day.ordinal)
                self.partner_types[event_type] += 1
            elif actor in guests:
                self.guest_events += 1
            if event_type == "DOWNLOAD":
                if actor in services:
                    self.service_downloads[actor].append(ts)
                elif actor in regular:
                    self.downloads[actor].append(ts)
            elif event_type == "DELETE":
                self.deletes[actor].append(ts)
            elif event_type in PERMISSION_TYPES:
                self.permission_changes[actor].append(ts)
            if event_type in DECODED or event_type in DEVICE_TYPES or actor in services:
                self._read_event(day.ordinal, orjson.loads(day.blobs[i]))

    def _read_event(self, ordinal: int, e: dict[str, Any]) -> None:
        event_type, actor = e["event_type"], self.ent.by_id[e["created_by"]["id"]]
        details = e.get("additional_details") or {}
        if actor.external and (event_type in AUTH_TYPES or event_type in DEVICE_TYPES):
            self.external_auth += 1
        if actor.app is not None:
            self.service_ips[actor.id].add(e["ip_address"])
        if event_type == "LOGIN":
            self.login_ips[actor.id][ordinal].add(e["ip_address"])
        elif event_type == "FAILED_LOGIN":
            self.failed_per_user_day[(actor.id, ordinal)] += 1
            self.failed_users_per_ip_day[(e["ip_address"], ordinal)].add(actor.id)
        elif event_type == "SHIELD_ALERT":
            alert = details["shield_alert"]
            self.shield.append((alert["risk_score"], alert["priority"]))
        elif details.get("shared_link_access") == "open":
            self.open_links += 1
            self.open_sensitive_links += (e["source"].get("classification") or {}).get("name") in SENSITIVE
        elif event_type == TOKEN:
            app = (details["service_id"], details["service_name"], details["client_id"])
            self.token_apps[actor.id][ordinal].add(app)
        elif event_type.startswith("COLLABORATION_") and e["accessible_by"]["type"] == "user":
            invitee = self.ent.by_id[e["accessible_by"]["id"]]
            if invitee.external:
                self.external_invite_roles[details["role"]] += 1
                if self.ent.is_partner(invitee.login):
                    self.partner_collabs[event_type] += 1
        if event_type == "CHANGE_ADMIN_ROLE":
            if ROLE_RANK[details["new_role"]] > ROLE_RANK[details["old_role"]]:
                self.high[event_type] += 1
        elif event_type in HIGH_RISK_EVENT_TYPES:
            self.high[event_type] += 1


def _natural_world() -> Natural:
    cfg = EmulatorConfig(n_users=1000, events_per_day=40000, scenarios=[], floor_period_days=0)
    ent = Enterprise(cfg.seed, domain=cfg.company_domain, n_users=cfg.n_users, n_external=cfg.n_external)
    generator = Generator(cfg, ent)
    summary = Natural(ent)
    for k in range(BIG_DAYS):
        summary.read_day(generator.generate((FIRST_BIG_DAY + timedelta(days=k)).toordinal()))
    return summary


def _a_thousand_people_make_about_forty_thousand_events_a_weekday(natural: Natural) -> None:
    assert 37000 < max(natural.volumes) < 44000
    assert 10000 < min(natural.volumes) < 14000  # weekends
    assert 28000 < sum(natural.volumes) / BIG_DAYS < 35000


def _high_and_critical_types_are_rare_without_the_floor(natural: Natural) -> None:
    # the catalog's high/critical types, Box support access, app keys and promotions to admin
    assert sum(natural.high.values()) <= 0.3 * BIG_DAYS, natural.high
    # Shield alerts: a few a month, mostly low risk, never the planted high-risk kind
    assert len(natural.shield) <= 6
    assert all(score < 80 and priority != "high" for score, priority in natural.shield)
    assert sum(score < 50 for score, _ in natural.shield) >= len(natural.shield) / 2


def _partner_users_act_every_day_on_content_and_never_sign_in(natural: Natural) -> None:
    assert natural.ent.partner_domains == PARTNER_DOMAINS
    assert len(PARTNER_DOMAINS) == 3
    for domain in PARTNER_DOMAINS:
        assert len(natural.ent.partners_by_domain[domain]) >= 3
        assert len(natural.partner_days[domain]) == BIG_DAYS, domain
    assert {"PREVIEW", "DOWNLOAD", "UPLOAD", "COMMENT_CREATE", "COLLABORATION_ACCEPT"} <= set(
        natural.partner_types
    )
    assert not set(natural.partner_types) & (AUTH_TYPES | DEVICE_TYPES)
    assert natural.external_auth == 0
    # employees invite partners every day, as Viewer or Editor mostly, never Co-owner; the
    # partners accept, and some roles are raised
    collabs = natural.partner_collabs
    assert collabs["COLLABORATION_INVITE"] >= 2 * BIG_DAYS
    assert collabs["COLLABORATION_ACCEPT"] >= BIG_DAYS and collabs["COLLABORATION_ROLE_CHANGE"] > 0
    roles = natural.external_invite_roles
    assert roles["Viewer"] + roles["Editor"] > 0.8 * sum(roles.values())
    assert not roles.keys() & {"Co-owner", "Owner"}


def _free_mail_guests_are_rare(natural: Natural) -> None:
    guests = [u for u in natural.ent.guests if u.domain in FREE_MAIL_DOMAINS]
    assert guests and not {u.domain for u in natural.ent.partners} & set(FREE_MAIL_DOMAINS)
    assert len(natural.ent.guests) < len(natural.ent.partners)
    assert natural.guest_events < sum(natural.partner_types.values()) / 10


def _mobile_users_sign_in_from_many_addresses_of_their_carriers(natural: Natural) -> None:
    mobile = natural.ent.mobile_users
    assert 0.07 * len(natural.ent.regular_users) < len(mobile) < 0.13 * len(natural.ent.regular_users)
    wandering = 0
    for user in mobile:
        ips = set().union(*natural.login_ips[user.id].values())
        assert {network16(ip) for ip in ips} <= set(user.carriers)
        assert len({network16(ip) for ip in ips}) == len(user.carriers)  # every carrier, every month
        wandering += len(ips) >= 10
    assert wandering > 0.9 * len(mobile)


def _regular_users_sign_in_from_at_most_two_addresses_of_one_network(natural: Natural) -> None:
    for user in natural.ent.regular_users:
        if user.mobile:
            continue
        days = natural.login_ips[user.id]
        assert all(len(ips) <= 2 for ips in days.values()), user.login
        networks = {network16(ip) for ips in days.values() for ip in ips if ip != "Unknown IP"}
        assert networks <= {network16(ip) for ip in user.ips}, user.login


def _admins_work_from_three_or_four_networks_every_weekday(natural: Natural) -> None:
    for admin in natural.ent.admins:
        networks = {network16(ip) for ip in admin.ips}
        assert 3 <= len(networks) == len(admin.ips) <= 4
        days = natural.login_ips[admin.id]
        assert {network16(ip) for ips in days.values() for ip in ips} == networks
        assert sum({network16(ip) for ip in ips} == networks for ips in days.values()) >= 20


def _service_accounts_authenticate_daily_with_their_own_app_and_download_in_bulk(natural: Natural) -> None:
    accounts = natural.ent.service_accounts
    assert 2 <= len(accounts) <= 3
    assert natural.ent.service_logins == {u.login for u in accounts}
    for account in accounts:
        assert account.login.startswith("AutomationUser_") and account.login.endswith("@boxdevedition.com")
        _, number, suffix = account.login.split("@")[0].split("_")
        assert number.isdigit() and len(suffix) == 10 and suffix.isalnum()
        assert natural.service_ips[account.id] == set(account.ips)
        days = natural.token_apps[account.id]
        assert len(days) == BIG_DAYS
        assert all(
            apps == {(account.app.service_id, account.app.name, account.app.client_id)}
            for apps in days.values()
        )
    (backup,) = [u for u in accounts if u.job == "backup"]
    nightly = natural.service_downloads[backup.id]
    assert len(nightly) >= 300 * BIG_DAYS
    assert _max_in_window(nightly, 3600) >= 300


def _natural_apps_recur_so_that_a_new_one_stands_out(natural: Natural) -> None:
    apps = Counter(app for days in natural.token_apps.values() for ones in days.values() for app in ones)
    known = {(a.service_id, a.name, a.client_id) for a in natural.ent.apps}
    assert set(apps) <= known
    assert all(n >= 5 for n in apps.values())


def _natural_background_stays_below_the_detections(natural: Natural) -> None:
    assert max(natural.failed_per_user_day.values()) <= 2
    spread = max(len(users) for (ip, _), users in natural.failed_users_per_ip_day.items())
    assert spread < 12
    assert max(_max_in_window(ts, 3600) for ts in natural.downloads.values()) < 30
    assert max(_max_in_window(ts, 1800) for ts in natural.deletes.values()) < 40
    assert max(_max_in_window(ts, 1800) for ts in natural.permission_changes.values()) < 15
    assert natural.open_links > 0 and natural.open_sensitive_links == 0  # confidential: never open
    for user_days in natural.login_ips.values():  # never 8 networks in a day
        assert all(len({network16(ip) for ip in ips}) < 5 for ips in user_days.values())


NATURAL_CHECKS = (
    _a_thousand_people_make_about_forty_thousand_events_a_weekday,
    _high_and_critical_types_are_rare_without_the_floor,
    _partner_users_act_every_day_on_content_and_never_sign_in,
    _free_mail_guests_are_rare,
    _mobile_users_sign_in_from_many_addresses_of_their_carriers,
    _regular_users_sign_in_from_at_most_two_addresses_of_one_network,
    _admins_work_from_three_or_four_networks_every_weekday,
    _service_accounts_authenticate_daily_with_their_own_app_and_download_in_bulk,
    _natural_apps_recur_so_that_a_new_one_stands_out,
    _natural_background_stays_below_the_detections,
)


def test_thirty_natural_days_of_a_thousand_people(subtests):
    """One test over one world (about 20 s to generate), so that one xdist worker builds it."""
    natural = _natural_world()
    for check in NATURAL_CHECKS:
        with subtests.test(check.__name__.strip("_")):
            check(natural)


# ---------------------------------------------------------------------- the planted incidents
PLANT_DAY = date(2026, 11, 20)
HISTORY_DAYS = 14


@dataclass
class PlantedWorld:
    emu: Emulator
    planted: dict[str, PlantedIncident]
    day: dict[str, dict[str, Any]]  # event id -> event, on the planted day
    history: list[dict[str, Any]]  # the days before, and the planted day's other events

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [self.day[i] for i in self.planted[kind].event_ids]


@pytest.fixture(scope="module")
def world() -> PlantedWorld:
    emu = Emulator(
        EmulatorConfig(scenarios=[Scenario(kind, PLANT_DAY) for kind in SCENARIO_KINDS]),
        clock=ManualClock(NOW),
    )
    planted = {p.kind: p for p in emu.planted()}
    start = datetime(PLANT_DAY.year, PLANT_DAY.month, PLANT_DAY.day, tzinfo=UTC)
    events = emu.oracle.events(start - timedelta(days=HISTORY_DAYS), start + timedelta(days=1), at=NOW)
    ids = {i for p in planted.values() for i in p.event_ids}
    day = {e["event_id"]: e for e in events if e["event_id"] in ids}
    return PlantedWorld(emu, planted, day, [e for e in events if e["event_id"] not in ids])


def _one_actor(events: list[dict[str, Any]]) -> str:
    (login,) = {e["created_by"]["login"] for e in events}
    return login


def test_every_kind_is_planted_with_all_its_events(world):
    assert set(world.planted) == set(SCENARIO_KINDS) and len(SCENARIO_KINDS) == 18
    for kind, incident in world.planted.items():
        assert incident.kind == kind and incident.day == PLANT_DAY
        assert incident.event_ids and len(set(incident.event_ids)) == len(incident.event_ids)
        assert all(_ts(e).astimezone(UTC).date() == PLANT_DAY for e in world.events(kind))


def _assert_bulk(world, kind: str, event_type: str, count: int, within: timedelta) -> None:
    events = world.events(kind)
    assert len(events) == count and {e["event_type"] for e in events} == {event_type}
    assert _span(events) <= within
    assert len({e["source"]["item_id"] for e in events}) == count
    assert _one_actor(events) == world.planted[kind].actor_login


def test_mass_download(world):
    _assert_bulk(world, "mass_download", "DOWNLOAD", 150, timedelta(minutes=60))


def test_many_items_deleted(world):
    _assert_bulk(world, "many_items_deleted", "DELETE", 80, timedelta(minutes=30))


def test_failed_login_burst(world):
    events = world.events("failed_login_burst")
    assert len(events) == 15 and {e["event_type"] for e in events} == {"FAILED_LOGIN"}
    assert _span(events) <= timedelta(minutes=9)
    assert {e["ip_address"] for e in events} == {world.planted["failed_login_burst"].ip}
    assert _one_actor(events) == world.planted["failed_login_burst"].actor_login


def test_login_many_ips(world):
    events = world.events("login_many_ips")
    assert len(events) == 8 and {e["event_type"] for e in events} == {"LOGIN"}
    assert len({network16(e["ip_address"]) for e in events}) == 8
    assert _one_actor(events) == world.planted["login_many_ips"].actor_login


def test_new_admin(world):
    (event,) = world.events("new_admin")
    incident = world.planted["new_admin"]
    assert event["event_type"] == "CHANGE_ADMIN_ROLE"
    assert event["additional_details"] == {
        "old_role": "user",
        "new_role": event["additional_details"]["new_role"],
    }
    assert event["additional_details"]["new_role"] in ("admin", "coadmin")
    assert event["created_by"]["login"] == incident.actor_login
    assert event["source"]["login"] == incident.subject_login


def test_external_collab_invite_is_a_co_owner_guest_never_a_partner(world):
    (event,) = world.events("external_collab_invite")
    incident = world.planted["external_collab_invite"]
    guest = event["accessible_by"]["login"]
    assert event["event_type"] == "COLLABORATION_INVITE"
    assert event["additional_details"]["role"] == "Co-owner"
    assert guest == incident.subject_login and event["source"]["user_id"] == event["accessible_by"]["id"]
    domain = guest.rpartition("@")[2]
    assert domain != world.emu.enterprise.domain and domain not in PARTNER_DOMAINS
    assert event["created_by"]["login"] == incident.actor_login


def test_malicious_file(world):
    (event,) = world.events("malicious_file")
    assert event["event_type"] == "FILE_MARKED_MALICIOUS"
    assert set(event["additional_details"]) == {"malware_name", "size"}


def test_open_shared_link(world):
    events = world.events("open_shared_link")
    assert sorted(e["event_type"] for e in events) == ["ITEM_SHARED_UPDATE", "SHARE"]
    assert {e["additional_details"]["shared_link_access"] for e in events} == {"open"}
    assert len({e["source"]["item_id"] for e in events}) == 1
    assert len({e["additional_details"]["shared_link_id"] for e in events}) == 1
    assert {e["source"]["classification"]["name"] for e in events} <= SENSITIVE
    assert _one_actor(events) == world.planted["open_shared_link"].actor_login


def _assert_high_shield_alert(world, kind: str, categories: set[str]) -> dict[str, Any]:
    (event,) = world.events(kind)
    alert = event["additional_details"]["shield_alert"]
    assert event["event_type"] == "SHIELD_ALERT" and event["created_by"]["id"] == "2"
    assert alert["rule_category"] in categories
    assert alert["risk_score"] >= 80 and alert["priority"] == "high"
    assert alert["user"]["email"] == world.planted[kind].actor_login
    return alert


def test_shield_anomalous_download(world):
    _assert_high_shield_alert(world, "shield_anomalous_download", {"Anomalous Download"})


def _countries(alert: dict[str, Any]) -> set[str]:
    summary = alert["alert_summary"]
    activities = summary.get("alert_activities") or [
        a for s in summary.get("sessions", ()) for a in s["activities"]
    ]
    return {a["ip_info"]["country_code"] for a in activities if "ip_info" in a}


def test_shield_suspicious_login_comes_from_a_country_the_user_never_had(world):
    alert = _assert_high_shield_alert(
        world, "shield_suspicious_login", {"Suspicious Locations", "Suspicious Sessions"}
    )
    login = alert["user"]["email"]
    seen = set()
    for e in world.history:
        if (
            e["event_type"] == "SHIELD_ALERT"
            and e["additional_details"]["shield_alert"]["user"]["email"] == login
        ):
            seen |= _countries(e["additional_details"]["shield_alert"])
    new = _countries(alert) - seen - {"US"}
    assert new, (_countries(alert), seen)


def test_password_spray(world):
    events = world.events("password_spray")
    incident = world.planted["password_spray"]
    assert {e["event_type"] for e in events} == {"FAILED_LOGIN"}
    assert {e["ip_address"] for e in events} == {incident.ip}
    per_user = Counter(e["created_by"]["login"] for e in events)
    assert len(per_user) == 12 and set(per_user.values()) <= {1, 2}
    assert _span(events) <= timedelta(minutes=20)
    first = min(events, key=_ts)
    assert incident.actor_login == first["created_by"]["login"] and incident.subject_login is None


def _assert_admin_event(world, kind: str, event_type: str) -> dict[str, Any]:
    (event,) = world.events(kind)
    assert event["event_type"] == event_type
    admins = {u.login for u in world.emu.enterprise.admins}
    assert event["created_by"]["login"] == world.planted[kind].actor_login in admins
    return event


def test_app_public_key_added(world):
    event = _assert_admin_event(world, "app_public_key_added", "APPLICATION_PUBLIC_KEY_ADDED")
    assert event["source"]["type"] == "app"


def test_governance_policy_removed(world):
    event = _assert_admin_event(world, "governance_policy_removed", "LEGAL_HOLD_POLICY_DELETE")
    assert {"policy_id", "policy_name"} <= set(event["additional_details"])


def test_box_support_access_granted(world):
    event = _assert_admin_event(world, "box_support_access_granted", "ACCESS_GRANTED")
    assert event["source"]["login"] == event["created_by"]["login"]


def test_open_link_downloads(world):
    events = world.events("open_link_downloads")
    assert len(events) == 40 and {e["event_type"] for e in events} == {"DOWNLOAD"}
    assert {(e["created_by"]["id"], e["created_by"]["login"]) for e in events} == {("2", "")}
    assert len({e["additional_details"]["shared_link_id"] for e in events}) == 1
    assert len({e["source"]["item_id"] for e in events}) == 1
    assert 2 <= len({e["ip_address"] for e in events}) <= 5
    assert _span(events) <= timedelta(hours=1)
    assert {e["source"]["owned_by"]["login"] for e in events} == {
        world.planted["open_link_downloads"].actor_login
    }


def _app(event: dict[str, Any]) -> tuple[str, str, str]:
    d = event.get("additional_details") or {}
    return d.get("service_id"), d.get("service_name"), d.get("client_id")


def test_token_for_new_app_names_an_app_seen_nowhere_else(world):
    (event,) = world.events("token_for_new_app")
    assert event["event_type"] == TOKEN
    assert event["created_by"]["login"] == world.planted["token_for_new_app"].actor_login
    service_id, name, client_id = _app(event)
    for other in world.history:
        assert service_id not in _app(other) and name not in _app(other) and client_id not in _app(other)
    assert any(e["event_type"] == TOKEN for e in world.history)  # the natural ones recur


def test_login_new_network_is_one_login_from_a_network_never_used(world):
    (event,) = world.events("login_new_network")
    incident = world.planted["login_new_network"]
    user = world.emu.enterprise.by_id[event["created_by"]["id"]]
    assert event["event_type"] == "LOGIN" and user.login == incident.actor_login
    assert not user.mobile and user.role == "user" and event["ip_address"] == incident.ip
    history = [e for e in world.history if e["created_by"]["id"] == user.id and e["event_type"] == "LOGIN"]
    assert len(history) >= 5  # a normal history to compare with
    assert network16(incident.ip) not in {network16(e["ip_address"]) for e in history}


def test_many_permission_updates(world):
    events = world.events("many_permission_updates")
    assert len(events) == 30 and {e["event_type"] for e in events} <= PERMISSION_TYPES
    assert _span(events) <= timedelta(minutes=30)
    assert _one_actor(events) == world.planted["many_permission_updates"].actor_login
    for e in events:  # nothing opened to anyone, nobody outside invited
        assert (e.get("additional_details") or {}).get("shared_link_access") != "open"
        if "accessible_by" in e:
            assert e["accessible_by"]["login"].endswith("@example.com")
