"""Planted incidents: one per detection rule, each kind named after the rule that must find it.

Why here and why so exact: a detection library is tested by planting what each rule looks for
and checking that the rule finds exactly that. Each planter builds the events of one incident in
the shapes of its event families (the generator's builders) and reports who did it; the
generator serves them among the day's natural events. The natural mix is kept clear of these
patterns (caps, fixed apps, stable networks), so a rule that fires elsewhere has a false positive.

| kind | what is planted (all on one UTC day, in US business hours) |
| --- | --- |
| mass_download | one user: 150 DOWNLOADs of distinct files within 50 minutes |
| failed_login_burst | one user: 15 FAILED_LOGINs within 9 minutes from one new address |
| login_many_ips | one user: 8 LOGINs from 8 addresses in 8 different /16 networks |
| new_admin | the admin makes a user admin or co-admin (CHANGE_ADMIN_ROLE) |
| external_collab_invite | a user invites a guest (free mail or unknown domain) as Co-owner |
| malicious_file | a FILE_MARKED_MALICIOUS |
| open_shared_link | a SHARE and an ITEM_SHARED_UPDATE of one confidential file's link, open |
| shield_anomalous_download | a SHIELD_ALERT "Anomalous Download", priority high, risk >= 80 |
| shield_suspicious_login | a SHIELD_ALERT of suspicious locations or sessions, high, risk >= 80, |
|   | from a country no natural alert uses (so one the user never had) |
| password_spray | one address: FAILED_LOGINs of 12 users (1-2 each) within 20 minutes |
| app_public_key_added | an admin's APPLICATION_PUBLIC_KEY_ADDED |
| governance_policy_removed | an admin's LEGAL_HOLD_POLICY_DELETE |
| many_items_deleted | one user: 80 DELETEs of distinct files within 30 minutes |
| open_link_downloads | 40 anonymous DOWNLOADs of one file through one shared link within an hour |
| token_for_new_app | one user's OAuth2 token for an application that occurs nowhere else |
| login_new_network | a regular user's one LOGIN from a /16 network the user never used |
| box_support_access_granted | an admin's ACCESS_GRANTED (access for Box support) |
| many_permission_updates | one user: 30 role, folder-permission and shared-link changes within 30 minutes |
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from box_emulator.config import SCENARIO_KINDS
from box_emulator.day import DAY_SECONDS, DayContext, Event
from box_emulator.enterprise import (
    ANONYMOUS,
    SENSITIVE_CLASSIFICATIONS,
    App,
    User,
    ips_in_new_networks,
    network16,
    random_ipv4,
    random_token,
)

if TYPE_CHECKING:
    from box_emulator.generator import Generator

TOKEN_TYPE = "USER_AUTHENTICATE_OAUTH2_ACCESS_TOKEN_CREATE"
WEB_APP = ("11443", "Box Web App")
BOX_DRIVE = ("331", "Box Drive")
#: Places no natural Shield alert uses (those use HOME_GEO and FOREIGN_GEO): a planted suspicious
#: login's country is one the user never had.
PLANTED_GEO = (
    ("KZ", "Almaty", "Almaty", "43.2220", "76.8512"),
    ("VN", "Hanoi", "Hanoi", "21.0278", "105.8342"),
    ("RO", "Bucharest", "Bucharest", "44.4268", "26.1025"),
    ("UA", "Kyiv", "Kyiv", "50.4501", "30.5234"),
)
NEW_APP_NAMES = ("PDF Converter Pro", "FileSync Helper", "QuickDocs Exporter", "CloudBridge Connector")
PERMISSION_TYPES = ("COLLABORATION_ROLE_CHANGE", "CHANGE_FOLDER_PERMISSION", "ITEM_SHARED_UPDATE")
INTERNAL_ROLES = ("Editor", "Viewer", "Previewer", "Uploader", "Co-owner")


@dataclass(slots=True)
class Incident:
    """The events of one planted incident and who it is about (see `PlantedIncident`)."""

    actor: User
    events: list[Event]
    subject: str | None = None
    ip: str | None = None


class Planter:
    """Builds each kind of incident from the generator's family builders."""

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self.ent = gen.ent
        self._kinds: dict[str, Callable[[random.Random, DayContext], Incident]] = {
            kind: getattr(self, f"_{kind}") for kind in SCENARIO_KINDS
        }
        # people with a steady history of logins from their habitual addresses
        by_activity = sorted(
            (u for u in self.ent.regular_users if not u.mobile), key=lambda u: u.activity, reverse=True
        )
        self._steady = by_activity[: max(1, len(by_activity) // 3)]

    def plant(self, kind: str, rng: random.Random, ctx: DayContext) -> Incident:
        return self._kinds[kind](rng, ctx)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _start(rng: random.Random, ctx: DayContext, span: int) -> int:
        """When an incident lasting `span` seconds begins: US business hours, inside the day."""
        t0 = ctx.local_hour(9) + rng.randrange(0, 5 * 3600)
        return min(t0, ctx.start + DAY_SECONDS - span - 60)

    def _body(
        self,
        rng: random.Random,
        ctx: DayContext,
        actor: User,
        source: Any,
        details: Any,
        ip: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        return self.gen.envelope(rng, actor, source, details, ip or self.gen.address(rng, actor, ctx), extra)

    def _user(self, rng: random.Random) -> User:
        return rng.choice(self.ent.regular_users)

    def _file_events(
        self,
        rng: random.Random,
        ctx: DayContext,
        event_type: str,
        n: int,
        span: int,
        service: tuple[str, str],
    ) -> Incident:
        """One user's `event_type` on `n` distinct files within `span` seconds."""
        actor = self._user(rng)
        t0 = self._start(rng, ctx, span)
        events = []
        for f in rng.sample(self.ent.files, n):
            source, details = self.gen.file_event(rng, event_type, f, service)
            events.append(
                (t0 + rng.randrange(span), event_type, self._body(rng, ctx, actor, source, details))
            )
        return Incident(actor, events)

    def _admin_app_event(self, rng: random.Random, ctx: DayContext, event_type: str, app: App) -> Incident:
        admin = rng.choice(self.ent.admins)
        source, details, _ = self.gen.app_event(app, admin, event_type)
        t0 = self._start(rng, ctx, 60)
        return Incident(admin, [(t0, event_type, self._body(rng, ctx, admin, source, details))])

    def _shield(
        self, rng: random.Random, ctx: DayContext, category: str, geo: tuple[str, ...] | None
    ) -> Incident:
        # raised by Box (the anonymous user); the incident's actor is the user it is about
        actor = self._user(rng)
        t0 = self._start(rng, ctx, 60)
        details, ip = self.gen.shield_alert_details(rng, actor, "high", t0, category, geo)
        body = self._body(rng, ctx, ANONYMOUS, None, details, ip, session_id=None)
        return Incident(actor, [(t0, "SHIELD_ALERT", body)], ip=ip)

    # ------------------------------------------------------------------ the kinds
    def _mass_download(self, rng: random.Random, ctx: DayContext) -> Incident:
        return self._file_events(rng, ctx, "DOWNLOAD", 150, 3000, BOX_DRIVE)

    def _many_items_deleted(self, rng: random.Random, ctx: DayContext) -> Incident:
        return self._file_events(rng, ctx, "DELETE", 80, 1800, WEB_APP)

    def _failed_login_burst(self, rng: random.Random, ctx: DayContext) -> Incident:
        actor, ip = self._user(rng), random_ipv4(rng)
        t0 = self._start(rng, ctx, 540)
        details = {"failure_reason": "Invalid password"}
        events = [
            (
                t0 + rng.randrange(540),
                "FAILED_LOGIN",
                self._body(rng, ctx, actor, actor.mini, dict(details), ip),
            )
            for _ in range(15)
        ]
        return Incident(actor, events, ip=ip)

    def _login_many_ips(self, rng: random.Random, ctx: DayContext) -> Incident:
        actor = self._user(rng)
        t0 = self._start(rng, ctx, 8 * 1200)
        ips = ips_in_new_networks(rng, 8, {network16(ip) for ip in actor.ips})
        events = [
            (t0 + i * 1200 + rng.randrange(600), "LOGIN", self._body(rng, ctx, actor, actor.mini, None, ip))
            for i, ip in enumerate(ips)
        ]
        return Incident(actor, events)

    def _new_admin(self, rng: random.Random, ctx: DayContext) -> Incident:
        admin, target = self.ent.admin, self._user(rng)
        details = {"old_role": "user", "new_role": rng.choice(("admin", "coadmin"))}
        t0 = self._start(rng, ctx, 60)
        return Incident(
            admin,
            [(t0, "CHANGE_ADMIN_ROLE", self._body(rng, ctx, admin, target.mini, details))],
            target.login,
        )

    def _external_collab_invite(self, rng: random.Random, ctx: DayContext) -> Incident:
        actor, guest = self._user(rng), rng.choice(self.ent.guests)
        source, details, extra = self.gen.collab_event(
            rng, "COLLABORATION_INVITE", rng.choice(self.ent.folders), guest.mini, "Co-owner"
        )
        t0 = self._start(rng, ctx, 60)
        body = self._body(rng, ctx, actor, source, details, **extra)
        return Incident(actor, [(t0, "COLLABORATION_INVITE", body)], guest.login)

    def _malicious_file(self, rng: random.Random, ctx: DayContext) -> Incident:
        actor = self._user(rng)
        source, details = self.gen.malicious_file(rng, rng.choice(self.ent.files))
        t0 = self._start(rng, ctx, 60)
        return Incident(actor, [(t0, "FILE_MARKED_MALICIOUS", self._body(rng, ctx, actor, source, details))])

    def _open_shared_link(self, rng: random.Random, ctx: DayContext) -> Incident:
        sensitive = [f for f in self.ent.files if f.classification in SENSITIVE_CLASSIFICATIONS]
        actor, f = self._user(rng), rng.choice(sensitive)  # what no natural open link exposes
        link = random_token(rng, 8)
        t0 = self._start(rng, ctx, 120)
        events = []
        for offset, event_type in ((0, "SHARE"), (90, "ITEM_SHARED_UPDATE")):
            details = self.gen.share_details(rng, event_type, "open")
            details.update(shared_link_id=link, shared_link_expires_at=None)
            body = self._body(rng, ctx, actor, self.gen.file_source(f), details)
            events.append((t0 + offset, event_type, body))
        return Incident(actor, events)

    def _shield_anomalous_download(self, rng: random.Random, ctx: DayContext) -> Incident:
        return self._shield(rng, ctx, "Anomalous Download", None)

    def _shield_suspicious_login(self, rng: random.Random, ctx: DayContext) -> Incident:
        category = rng.choice(("Suspicious Locations", "Suspicious Sessions"))
        return self._shield(rng, ctx, category, rng.choice(PLANTED_GEO))

    def _password_spray(self, rng: random.Random, ctx: DayContext) -> Incident:
        ip = random_ipv4(rng)
        victims = rng.sample(self.ent.regular_users, 12)
        t0 = self._start(rng, ctx, 1200)
        firsts = sorted(rng.sample(range(1100), len(victims)))  # the first victim is tried first
        events = []
        for victim, first in zip(victims, firsts, strict=True):
            tries = [first] if rng.random() < 0.5 else [first, first + rng.randrange(5, 100)]
            for offset in tries:
                details = {"failure_reason": "Invalid password"}
                body = self._body(rng, ctx, victim, victim.mini, details, ip)
                events.append((t0 + offset, "FAILED_LOGIN", body))
        return Incident(victims[0], events, ip=ip)

    def _app_public_key_added(self, rng: random.Random, ctx: DayContext) -> Incident:
        return self._admin_app_event(rng, ctx, "APPLICATION_PUBLIC_KEY_ADDED", rng.choice(self.ent.apps))

    def _box_support_access_granted(self, rng: random.Random, ctx: DayContext) -> Incident:
        return self._admin_app_event(rng, ctx, "ACCESS_GRANTED", rng.choice(self.ent.integrations))

    def _governance_policy_removed(self, rng: random.Random, ctx: DayContext) -> Incident:
        admin = rng.choice(self.ent.admins)
        t0 = self._start(rng, ctx, 60)
        source, details, _ = self.gen.policy_event(rng, "LEGAL_HOLD_POLICY_DELETE")
        return Incident(
            admin, [(t0, "LEGAL_HOLD_POLICY_DELETE", self._body(rng, ctx, admin, source, details))]
        )

    def _open_link_downloads(self, rng: random.Random, ctx: DayContext) -> Incident:
        f, link = rng.choice(self.ent.files), random_token(rng, 8)
        ips = [random_ipv4(rng) for _ in range(rng.randint(3, 5))]
        t0 = self._start(rng, ctx, 3500)
        events = []
        for _ in range(40):
            source, details = self.gen.file_event(rng, "DOWNLOAD", f, WEB_APP)
            details["shared_link_id"] = link
            body = self._body(rng, ctx, ANONYMOUS, source, details, rng.choice(ips))
            events.append((t0 + rng.randrange(3500), "DOWNLOAD", body))
        return Incident(f.owner, events)

    def _token_for_new_app(self, rng: random.Random, ctx: DayContext) -> Incident:
        actor = self._user(rng)
        # an id, name and client id no other event uses (the enterprise's own ids are shorter)
        name = f"{rng.choice(NEW_APP_NAMES)} {rng.randrange(2, 9)}.{rng.randrange(10)}.{rng.randrange(100)}"
        app = App(str(rng.randrange(10**8, 10**9)), name, f"{rng.getrandbits(128):032x}")
        source, details, _ = self.gen.app_event(app, actor, TOKEN_TYPE)
        t0 = self._start(rng, ctx, 60)
        return Incident(actor, [(t0, TOKEN_TYPE, self._body(rng, ctx, actor, source, details))])

    def _login_new_network(self, rng: random.Random, ctx: DayContext) -> Incident:
        actor = rng.choice(self._steady)
        (ip,) = ips_in_new_networks(rng, 1, {network16(a) for a in actor.ips})
        t0 = self._start(rng, ctx, 60)
        return Incident(actor, [(t0, "LOGIN", self._body(rng, ctx, actor, actor.mini, None, ip))], ip=ip)

    def _many_permission_updates(self, rng: random.Random, ctx: DayContext) -> Incident:
        actor = self._user(rng)
        t0 = self._start(rng, ctx, 1800)
        events = []
        for _ in range(30):
            event_type = rng.choice(PERMISSION_TYPES)
            events.append(
                (t0 + rng.randrange(1800), event_type, self._permission_change(rng, ctx, actor, event_type))
            )
        return Incident(actor, events)

    def _permission_change(self, rng: random.Random, ctx: DayContext, actor: User, event_type: str) -> dict:
        """A colleague's collaboration role or a link's access changed (never to external or open)."""
        if event_type == "ITEM_SHARED_UPDATE":
            details = self.gen.share_details(rng, event_type, rng.choice(("company", "collaborators")))
            return self._body(rng, ctx, actor, self.gen.file_source(rng.choice(self.ent.files)), details)
        role, old_role = rng.sample(INTERNAL_ROLES, 2)
        if event_type != "COLLABORATION_ROLE_CHANGE":
            old_role = None
        colleague = self.ent.pick_user(rng)
        source, details, extra = self.gen.collab_event(
            rng, event_type, rng.choice(self.ent.folders), colleague.mini, role, old_role=old_role
        )
        return self._body(rng, ctx, actor, source, details, **extra)
