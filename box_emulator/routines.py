"""The habits of a real enterprise that independent event draws would not give (default mix).

Why routines: a detection is tuned against what a real tenant does every day, and much of that
is regular rather than random. Partner companies' people work in the folders shared with them
and are invited to more; service accounts run the same jobs at the same hours from the same
addresses with the same application; admins sign in from the office, from home and over the
VPN; mobile users sign in again each time their carrier hands them a new address. Each routine
returns pre-built events (in their families' shapes) that count towards the day's volume.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from box_emulator.day import DAY_SECONDS, DayContext, Event, count_download
from box_emulator.enterprise import SERVICES, File, User, external_role

if TYPE_CHECKING:
    from box_emulator.generator import Generator

TOKEN_TYPE = "USER_AUTHENTICATE_OAUTH2_ACCESS_TOKEN_CREATE"
#: What partner users do with the content shared with them, and how often.
PARTNER_ACTIONS = ("PREVIEW", "DOWNLOAD", "UPLOAD", "EDIT", "COMMENT_CREATE")
PARTNER_WEIGHTS = (40, 25, 15, 10, 10)
#: Chance that a guest (free mail, unknown domain) looks at something on a given day.
GUEST_DAY_RATE = 0.3
#: Nightly backup: at least this many downloads, or 1% of the day's volume when more.
BACKUP_MIN_FILES = 10
BACKUP_SHARE = 0.01
BACKUP_MINUTES = 50
#: Events a day per user at which everyone keeps all their habits (a quieter configuration keeps
#: each habit on a day with the proportional chance, so routines never swamp a small volume).
BUSY_EVENTS_PER_USER = 6.0


class Routines:
    """The day's routine events (never in the benign mix)."""

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self.ent = gen.ent
        self._busy = min(1.0, gen.cfg.events_per_day / (len(self.ent.users) * BUSY_EVENTS_PER_USER))
        self._partner_files: dict[str, list[File]] = {
            domain: [f for d in folders for f in self.ent.files_by_folder[d.id]]
            for domain, folders in self.ent.partner_folders.items()
        }
        self._jobs: dict[str, Callable[[random.Random, DayContext, User], list[Event]]] = {
            "audit": self._audit_job,
            "backup": self._backup_job,
            "metadata": self._metadata_job,
        }

    def day(self, rng: random.Random, ctx: DayContext) -> list[Event]:
        events: list[Event] = []
        for domain in self.ent.partner_domains:
            events += self._partner_day(rng, ctx, domain)
        events += self._guest_day(rng, ctx)
        for account in self.ent.service_accounts:
            events += self._jobs[account.job](rng, ctx, account)
        events += self._admin_logins(rng, ctx)
        events += self._mobile_logins(rng, ctx)
        return events

    # ------------------------------------------------------------------ helpers
    def _keeps_habit(self, rng: random.Random) -> bool:
        """Whether a habit (a partner's day, an admin's sign-ins...) happens today."""
        return self._busy >= 1.0 or rng.random() < self._busy

    def _event(
        self,
        rng: random.Random,
        ctx: DayContext,
        event_type: str,
        actor: User,
        ts: int,
        ip: str | None = None,
    ) -> Event:
        """A routine event in its family's natural shape."""
        ts = min(ts, ctx.start + DAY_SECONDS - 1)
        return ts, event_type, self.gen.event_of(rng, event_type, actor, ts, ctx, ip)

    def _file_action(
        self, rng: random.Random, ctx: DayContext, event_type: str, actor: User, f: File, ts: int
    ) -> Event:
        """`actor` previews, downloads, uploads, edits or comments on the file `f`."""
        if event_type == "COMMENT_CREATE":
            source, details = self.gen.file_source(f), self.gen.task_details(rng, event_type)
        else:
            source, details = self.gen.file_event(rng, event_type, f, rng.choice(SERVICES[:2]))
        body = self.gen.envelope(rng, actor, source, details, self.gen.address(rng, actor, ctx))
        return ts, event_type, body

    # ------------------------------------------------------------------ partners and guests
    def _partner_day(self, rng: random.Random, ctx: DayContext, domain: str) -> list[Event]:
        """Some of a partner's people work on the content shared with them; on weekdays
        employees invite a few more of them, who accept, and some roles are raised."""
        people, files = self.ent.partners_by_domain[domain], self._partner_files[domain]
        active = 1 if ctx.weekend else rng.randint(min(2, len(people)), max(2, len(people) * 2 // 3))
        events: list[Event] = []
        for i, user in enumerate(rng.sample(people, min(active, len(people)))):
            if i and not self._keeps_habit(rng):  # one of them at least, every day
                continue
            for _ in range(rng.randint(2, 8)):
                ts = ctx.draw_ts(rng)
                action = rng.choices(PARTNER_ACTIONS, PARTNER_WEIGHTS)[0]
                if action == "DOWNLOAD" and not count_download(ctx, user, ts):
                    action = "PREVIEW"
                events.append(self._file_action(rng, ctx, action, user, rng.choice(files), ts))
        if not ctx.weekend:
            for _ in range(rng.randint(1, 2)):
                if self._keeps_habit(rng):
                    events += self._partner_invite(rng, ctx, domain, rng.choice(people))
        return events

    def _partner_invite(self, rng: random.Random, ctx: DayContext, domain: str, partner: User) -> list[Event]:
        """An employee invites a partner user; mostly accepted, sometimes raised to Editor."""
        inviter, folder = self.ent.pick_user(rng), rng.choice(self.ent.partner_folders[domain])
        role = external_role(rng, guest=False)
        collab_id = str(rng.randrange(10**10, 10**11))
        ts = ctx.draw_ts(rng)
        steps: list[tuple[str, User, str, str | None]] = [("COLLABORATION_INVITE", inviter, role, None)]
        if rng.random() < 0.8:
            steps.append(("COLLABORATION_ACCEPT", partner, role, None))
            if role != "Editor" and rng.random() < 0.25:
                steps.append(("COLLABORATION_ROLE_CHANGE", inviter, "Editor", role))
        events: list[Event] = []
        for event_type, actor, step_role, old_role in steps:
            source, details, extra = self.gen.collab_event(
                rng, event_type, folder, partner.mini, step_role, old_role=old_role, collab_id=collab_id
            )
            actor = extra.pop("actor", actor)
            body = self.gen.envelope(rng, actor, source, details, self.gen.address(rng, actor, ctx), extra)
            events.append((min(ts, ctx.start + DAY_SECONDS - 1), event_type, body))
            ts += rng.randrange(300, 3 * 3600)
        return events

    def _guest_day(self, rng: random.Random, ctx: DayContext) -> list[Event]:
        """Now and then a guest opens something shared with them."""
        if rng.random() >= GUEST_DAY_RATE:
            return []
        guest = rng.choice(self.ent.guests)
        return [
            self._file_action(rng, ctx, "PREVIEW", guest, rng.choice(self.ent.files), ctx.draw_ts(rng))
            for _ in range(rng.randint(1, 2))
        ]

    # ------------------------------------------------------------------ service accounts
    @staticmethod
    def _service(account: User) -> tuple[str, str]:
        """The account's own application, as content events name the service used."""
        assert account.app is not None
        return account.app.service_id, account.app.name

    def _token(self, rng: random.Random, ctx: DayContext, account: User, ts: int) -> Event:
        """A service account authenticates with its own application, from its own address."""
        assert account.app is not None
        source, details, _ = self.gen.app_event(account.app, account, TOKEN_TYPE)
        return ts, TOKEN_TYPE, self.gen.envelope(rng, account, source, details, rng.choice(account.ips))

    def _audit_job(self, rng: random.Random, ctx: DayContext, account: User) -> list[Event]:
        return [
            self._token(rng, ctx, account, ctx.start + h * 3600 + rng.randrange(300)) for h in range(0, 24, 4)
        ]

    def _backup_job(self, rng: random.Random, ctx: DayContext, account: User) -> list[Event]:
        """At 01:00 Pacific: a token, a sync of a few folders, then hundreds of downloads."""
        t0 = ctx.local_hour(1) + rng.randrange(600)
        ip, service = rng.choice(account.ips), self._service(account)
        events = [self._token(rng, ctx, account, t0)]
        for i, folder in enumerate(rng.sample(self.ent.folders, rng.randint(2, 4))):
            source = self.gen.folder_source(folder)
            size = rng.randrange(10**6, 10**10)
            details = self.gen.content_details(rng, "ITEM_SYNC", source, size, None, service)
            events.append((t0 + 30 + i, "ITEM_SYNC", self.gen.envelope(rng, account, source, details, ip)))
        n = min(len(self.ent.files), max(BACKUP_MIN_FILES, round(self.gen.cfg.events_per_day * BACKUP_SHARE)))
        for f in rng.sample(self.ent.files, n):
            ts = t0 + 60 + rng.randrange(BACKUP_MINUTES * 60)
            source, details = self.gen.file_event(rng, "DOWNLOAD", f, service)
            events.append((ts, "DOWNLOAD", self.gen.envelope(rng, account, source, details, ip)))
        return events

    def _metadata_job(self, rng: random.Random, ctx: DayContext, account: User) -> list[Event]:
        """Every working hour (06:00-19:00 Pacific) a few metadata instances are written."""
        per_hour = max(1, self.gen.cfg.events_per_day // 8000)
        events = [self._token(rng, ctx, account, ctx.local_hour(6))]
        for hour in range(6, 20):
            for _ in range(per_hour if self._keeps_habit(rng) else 0):
                event_type = "METADATA_INSTANCE_UPDATE" if rng.random() < 0.8 else "METADATA_INSTANCE_CREATE"
                ts = ctx.local_hour(hour) + 60 + rng.randrange(3000)
                events.append(self._event(rng, ctx, event_type, account, ts, rng.choice(account.ips)))
        return events

    # ------------------------------------------------------------------ logins
    def _admin_logins(self, rng: random.Random, ctx: DayContext) -> list[Event]:
        """Weekdays: each admin signs in from each of their networks (office, home, VPN)."""
        if ctx.weekend:
            return []
        events = []
        for admin in self.ent.admins:
            if self._keeps_habit(rng):
                for ip in admin.ips:
                    ts = ctx.local_hour(rng.choice((7, 8, 12, 17, 20))) + rng.randrange(3600)
                    events.append(self._event(rng, ctx, "LOGIN", admin, ts, ip))
        return events

    def _mobile_logins(self, rng: random.Random, ctx: DayContext) -> list[Event]:
        """A mobile user signs in again from each address the carrier gives them today."""
        events = []
        for user in self.ent.mobile_users:
            if self._keeps_habit(rng):
                for ip in ctx.carrier_addresses(user):
                    events.append(self._event(rng, ctx, "LOGIN", user, ctx.draw_ts(rng), ip))
        return events
