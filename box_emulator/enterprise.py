"""A deterministic emulated enterprise: users, external collaborators, groups, folders, files.

Why deterministic: every generated day draws actors and items from this one world, so the same
seed always yields the same people and content, and a detection test can name the user it
expects. Ids are numeric strings, as Box's are; logins are `first.last@<company_domain>`.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

_FIRST_NAMES = """
Ada Alan Alex Amara Ana Ben Bianca Carla Chen Chris Dana Daniel Diego Elena Emma Eric Farah
Grace Hana Hugo Ines Ivan Jack Jamal Jana Jon Julia Kai Kara Kenji Lara Leo Lina Luca Maya
Mei Mila Nadia Nina Noah Omar Oscar Paula Priya Quinn Rafael Rosa Sam Sara Sofia Tara Theo
Uma Victor Wei Yara Yusuf Zoe Zara Felix
"""
_LAST_NAMES = """
Adams Ahmed Baker Becker Brown Castro Chen Clark Costa Cruz Davis Dubois Evans Fischer
Garcia Gomez Green Hall Hansen Ito Jensen Johnson Kim Klein Kowalski Lee Lopez Martin
Meyer Miller Moreau Nakamura Nguyen Novak Okafor Olsen Patel Perez Rossi Sato Schmidt
Silva Singh Smith Tanaka Taylor Torres Walker Wang Weber White Wilson Wright Young Zhang
Ivanova Haddad
"""
_GROUP_NAMES = """
Engineering Finance Legal Sales Marketing HR Executives Support IT Contractors Design
Operations
"""
_FOLDER_WORDS = """
Projects Finance Legal Contracts Marketing Campaigns Roadmap Design Research Board HR
Payroll Sales Customers Partners Archive Reports Q1 Q2 Q3 Q4 Budget Hiring Security
Compliance Templates Shared Onboarding Vendors Audit
"""
_FILE_STEMS = """
forecast budget contract proposal roadmap minutes invoice report summary plan deck
specification notes agreement policy review analysis pricing timeline handbook
"""
T = TypeVar("T")
FIRST_NAMES: tuple[str, ...] = tuple(_FIRST_NAMES.split())
LAST_NAMES: tuple[str, ...] = tuple(_LAST_NAMES.split())
GROUP_NAMES: tuple[str, ...] = tuple(_GROUP_NAMES.split())
FOLDER_WORDS: tuple[str, ...] = tuple(_FOLDER_WORDS.split())
FILE_STEMS: tuple[str, ...] = tuple(_FILE_STEMS.split())
#: Companies the enterprise works with every day: their people preview, download, upload and
#: comment on shared content and are invited as collaborators. A detection allow-lists them.
PARTNER_DOMAINS: tuple[str, ...] = ("partner.example.org", "lawfirm.example.com.au", "supplier.example.net")
#: Free mail: private addresses, rare guests (and the planted risky invitee).
FREE_MAIL_DOMAINS: tuple[str, ...] = ("gmail.com", "outlook.com", "yahoo.com")
#: Externals that are no partner: free mail and a one-off contractor's company.
GUEST_DOMAINS: tuple[str, ...] = (*FREE_MAIL_DOMAINS, "contractor.example.net")
EXTERNAL_DOMAINS: tuple[str, ...] = (*PARTNER_DOMAINS, *GUEST_DOMAINS)
#: Share of the external users that belong to partner domains (the rest are guests).
PARTNER_SHARE = 0.7
#: Folders of the enterprise each partner domain collaborates on.
FOLDERS_PER_PARTNER = 3
#: Mobile carriers' /16 prefixes: a mobile user's address changes daily inside them.
CARRIER_PREFIXES: tuple[str, ...] = ("172.56", "172.58", "174.205", "107.77", "166.137", "100.128")
MOBILE_SHARE = 0.10
#: Admins work from the office, from home and over a VPN: one network each.
ADMIN_NETWORKS = (3, 4)
FILE_EXTS = ("pdf", "docx", "xlsx", "pptx", "txt", "png", "csv", "boxnote", "zip", "mp4")
CLASSIFICATIONS = ("Confidential", "Internal", "Public", "Restricted")
#: Classifications whose items a natural open shared link never exposes.
SENSITIVE_CLASSIFICATIONS = frozenset(("Confidential", "Restricted"))
#: Box's own clients, as content events name the service that was used.
SERVICES = (
    ("11443", "Box Web App"),
    ("331", "Box Drive"),
    ("9021", "Box for iOS"),
    ("9022", "Box for Android"),
    ("701", "Box Edit"),
    ("55", "Box Sync for Mac"),
)
#: Integrations people authorise (the natural OAuth2 token events): a small fixed set, so an
#: application seen for the first time stands out.
INTEGRATIONS = (
    ("701", "Box Edit"),
    ("55", "Box Sync for Mac"),
    ("18422", "Salesforce Integration"),
    ("20311", "Slack for Box"),
    ("30977", "Microsoft Teams"),
)
#: (name, application name, role, job) of the enterprise's service accounts (Box "app users" of
#: a server-side app). The first is the account the emulator's JWT/CCG enterprise tokens act as.
#: Jobs (box_emulator/routines.py): "audit" takes a token every 4 hours to read the event log,
#: "backup" downloads hundreds of files every night within an hour, "metadata" updates
#: metadata instances every hour of the working day.
SERVICE_ACCOUNTS = (
    ("Audit Exporter", "Audit Exporter (JWT)", "admin", "audit"),
    ("Backup Exporter", "Nightly Backup (JWT)", "coadmin", "backup"),
    ("Contract Metadata Sync", "Contract Metadata Sync (CCG)", "user", "metadata"),
)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def pick(rng: random.Random, seq: Sequence[T]) -> T:
    """`rng.choice(seq)` by arithmetic on `random()`: about 4x faster, for the hot paths."""
    return seq[int(rng.random() * len(seq))]


def random_ip(rng: random.Random) -> str:
    """A plausible public address (about 5% IPv6, documentation prefix)."""
    if rng.random() < 0.05:
        return f"2001:db8:{rng.randrange(0x10000):x}::{rng.randrange(1, 0x10000):x}"
    return random_ipv4(rng)


def random_ipv4(rng: random.Random, prefix: str | None = None) -> str:
    """A public IPv4 address, inside the /16 `prefix` ("172.56") if given."""
    if prefix is None:
        first = rng.choice((23, 34, 52, 64, 73, 98, 104, 107, 142, 162, 172, 199, 203))
        prefix = f"{first}.{rng.randrange(256)}"
    return f"{prefix}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def network16(ip: str) -> str:
    """The /16 network of an IPv4 address ("172.56"); other text (IPv6, "Unknown IP") as is."""
    parts = ip.split(".")
    return f"{parts[0]}.{parts[1]}" if len(parts) == 4 else ip


def ips_in_new_networks(rng: random.Random, n: int, avoid: Iterable[str] = ()) -> list[str]:
    """`n` IPv4 addresses, each in its own /16 network and none in the networks of `avoid`."""
    taken = set(avoid)
    out: list[str] = []
    while len(out) < n:
        ip = random_ipv4(rng)
        if network16(ip) not in taken:
            taken.add(network16(ip))
            out.append(ip)
    return out


def random_token(rng: random.Random, n: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def external_role(rng: random.Random, *, guest: bool) -> str:
    """A collaboration role for someone outside the company: partners mostly Viewer or Editor,
    guests only Viewer or Previewer; never Co-owner or Owner (that is the planted risk)."""
    if guest:
        return rng.choice(("Viewer", "Previewer"))
    return rng.choices(("Viewer", "Editor", "Previewer", "Viewer Uploader"), (45, 40, 10, 5))[0]


def _mini(user: User) -> dict[str, Any]:
    return {"type": "user", "id": user.id, "name": user.name, "login": user.login}


@dataclass(frozen=True, slots=True)
class App:
    """An application as the apps family names it: `service_id`, `service_name`, `client_id`."""

    service_id: str
    name: str
    client_id: str

    @property
    def details(self) -> dict[str, str]:
        return {"service_id": self.service_id, "service_name": self.name, "client_id": self.client_id}


@dataclass(slots=True)
class User:
    """A user the events can name (internal, external, service or anonymous).

    `ips` are the habitual addresses; a mobile user's addresses are instead drawn each day
    inside the /16 `carriers` prefixes; a service account has the `app` it authenticates with.
    """

    id: str
    name: str
    login: str
    role: str = "user"  # user | coadmin | admin
    external: bool = False
    ips: tuple[str, ...] = ()
    activity: float = 1.0
    carriers: tuple[str, ...] = ()
    app: App | None = None
    job: str = ""  # a service account's daily work: see SERVICE_ACCOUNTS
    mini: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mini = _mini(self)

    @property
    def domain(self) -> str:
        return self.login.rpartition("@")[2]

    @property
    def mobile(self) -> bool:
        return bool(self.carriers)


@dataclass(slots=True)
class Group:
    id: str
    name: str

    @property
    def mini(self) -> dict[str, Any]:
        return {"type": "group", "id": self.id, "name": self.name}


@dataclass(slots=True)
class Folder:
    id: str
    name: str
    parent_id: str
    parent_name: str
    owner: User
    synced: bool = False


@dataclass(slots=True)
class File:
    id: str
    name: str
    folder: Folder
    owner: User
    size: int
    version_id: str
    classification: str | None = None


ANONYMOUS = User(id="2", name="Unknown User", login="")


class Enterprise:
    """The people and content of one emulated enterprise, built once from the seed.

    Besides its users (`users`: admins first, then regular users, about 10% of them mobile) it
    has service accounts (`service_accounts`, Box app users), partner companies whose people
    collaborate daily (`partner_domains`, `partners`) and rare guests on free mail or unknown
    domains (`guests`); `externals` are partners and guests together.
    """

    def __init__(
        self, seed: int, *, domain: str = "example.com", n_users: int = 300, n_external: int = 30
    ) -> None:
        rng = random.Random(f"enterprise:{seed}")
        self._rng = rng
        self._used_ids: set[str] = set()
        self._external_logins: set[str] = set()
        self.domain = domain
        self.partner_domains: tuple[str, ...] = PARTNER_DOMAINS
        self.users = self._make_users(max(n_users, 4))
        self.admin = self.users[0]
        self.admins = [u for u in self.users if u.role in ("admin", "coadmin")]
        self.regular_users = [u for u in self.users if u.role == "user"]
        self.mobile_users = [u for u in self.regular_users if u.mobile]
        self.integrations = [App(sid, name, self._client_id()) for sid, name in INTEGRATIONS]
        self.service_accounts = [self._service_account(*spec) for spec in SERVICE_ACCOUNTS]
        self.service_account = self.service_accounts[0]
        self.service_logins: frozenset[str] = frozenset(u.login for u in self.service_accounts)
        #: every application of the enterprise: the integrations and the service accounts' own
        self.apps: list[App] = [*self.integrations, *(u.app for u in self.service_accounts if u.app)]
        n_partners = max(len(PARTNER_DOMAINS), round(n_external * PARTNER_SHARE))
        self.partners = [
            self._external(PARTNER_DOMAINS[i % len(PARTNER_DOMAINS)], suffix=False) for i in range(n_partners)
        ]
        self.guests = [
            self._external(GUEST_DOMAINS[i % len(GUEST_DOMAINS)], suffix=True)
            for i in range(max(2, n_external - n_partners))
        ]
        self.externals: list[User] = [*self.partners, *self.guests]
        self.partners_by_domain: dict[str, list[User]] = {
            d: [u for u in self.partners if u.domain == d] for d in PARTNER_DOMAINS
        }
        self.by_id: dict[str, User] = {
            u.id: u for u in [*self.users, *self.externals, *self.service_accounts, ANONYMOUS]
        }
        self.groups = [Group(self._new_id(9), name) for name in GROUP_NAMES]
        self.folders = self._make_folders()
        self.files = self._make_files()
        self.files_by_folder: dict[str, list[File]] = {}
        for f in self.files:
            self.files_by_folder.setdefault(f.folder.id, []).append(f)
        self.partner_folders = self._assign_partner_folders()
        self._activity_cum = _cumulative([u.activity for u in self.users])

    # ------------------------------------------------------------------ construction
    def _new_id(self, digits: int) -> str:
        while True:
            value = str(self._rng.randrange(10 ** (digits - 1), 10**digits))
            if value not in self._used_ids:
                self._used_ids.add(value)
                return value

    def _client_id(self) -> str:
        return f"{self._rng.getrandbits(128):032x}"

    def _make_users(self, n: int) -> list[User]:
        rng = self._rng
        names_seen: set[str] = set()
        users: list[User] = []
        for i in range(n):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = f"{first}.{last}".lower()
            k = 2
            while local in names_seen:
                local = f"{first}.{last}{k}".lower()
                k += 1
            names_seen.add(local)
            role = "admin" if i == 0 else "coadmin" if i in (1, 2) else "user"
            carriers: tuple[str, ...] = ()
            if role != "user":
                ips = tuple(ips_in_new_networks(rng, rng.choice(ADMIN_NETWORKS)))
            else:
                ips = self._habitual_ips()
                if rng.random() < MOBILE_SHARE:
                    carriers = tuple(rng.sample(CARRIER_PREFIXES, 1 if rng.random() < 0.65 else 2))
            users.append(
                User(
                    id=self._new_id(11),
                    name=f"{first} {last}",
                    login=f"{local}@{self.domain}",
                    role=role,
                    ips=ips,
                    activity=rng.paretovariate(2.5),
                    carriers=carriers,
                )
            )
        return users

    def _habitual_ips(self) -> tuple[str, ...]:
        """One address, or two of one office network: a regular user never changes network."""
        first = random_ipv4(self._rng) if self._rng.random() < 0.97 else random_ip(self._rng)
        if self._rng.random() < 0.6 or ":" in first:
            return (first,)
        return (first, random_ipv4(self._rng, network16(first)))

    def _service_account(self, name: str, app_name: str, role: str, job: str) -> User:
        """A Box app user: `AutomationUser_<app service id>_<10 letters>@boxdevedition.com`."""
        app = App(self._new_id(7), app_name, self._client_id())
        rng = self._rng
        login = f"AutomationUser_{app.service_id}_{random_token(rng, 10, _ALNUM)}@boxdevedition.com"
        cloud = f"{rng.choice((34, 35, 52, 54))}.{rng.randrange(256)}"
        ips = tuple(random_ipv4(rng, cloud) for _ in range(rng.choice((1, 2))))
        return User(id=self._new_id(11), name=name, login=login, role=role, ips=ips, app=app, job=job)

    def _external(self, domain: str, *, suffix: bool) -> User:
        """A person outside the company: `first.last@partner`, or `first.lastNN@gmail.com`."""
        rng = self._rng
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = f"{first.lower()}.{last.lower()}{rng.randrange(10, 99) if suffix else ''}"
            if f"{local}@{domain}" not in self._external_logins:
                self._external_logins.add(f"{local}@{domain}")
                break
        return User(
            id=self._new_id(11),
            name=f"{first} {last}",
            login=f"{local}@{domain}",
            external=True,
            ips=(random_ipv4(rng),),
        )

    def _make_folders(self) -> list[Folder]:
        rng = self._rng
        folders: list[Folder] = []
        for i in range(160):
            owner = rng.choice(self.users)
            parent = rng.choice(folders) if folders and rng.random() < 0.7 else None
            name = f"{rng.choice(FOLDER_WORDS)} {rng.choice(FOLDER_WORDS)}"
            if i % 7 == 0:
                name = f"{name} {2020 + i % 7}"
            folders.append(
                Folder(
                    id=self._new_id(12),
                    name=name,
                    parent_id=parent.id if parent else "0",
                    parent_name=parent.name if parent else "All Files",
                    owner=owner,
                    synced=rng.random() < 0.3,
                )
            )
        return folders

    def _make_files(self) -> list[File]:
        rng = self._rng
        files: list[File] = []
        for _ in range(3000):
            folder = rng.choice(self.folders)
            ext = rng.choice(FILE_EXTS)
            files.append(
                File(
                    id=self._new_id(13),
                    name=f"{rng.choice(FILE_STEMS)}-{rng.randrange(1, 400)}.{ext}",
                    folder=folder,
                    owner=folder.owner if rng.random() < 0.7 else rng.choice(self.users),
                    size=int(rng.lognormvariate(12, 2)) + 1,
                    version_id=self._new_id(13),
                    classification=rng.choice(CLASSIFICATIONS) if rng.random() < 0.25 else None,
                )
            )
        return files

    def _assign_partner_folders(self) -> dict[str, list[Folder]]:
        """Each partner domain works in a few folders of its own (ones that hold files)."""
        with_files = [d for d in self.folders if len(self.files_by_folder.get(d.id, ())) >= 5]
        picked = self._rng.sample(with_files, FOLDERS_PER_PARTNER * len(PARTNER_DOMAINS))
        return {
            domain: picked[i * FOLDERS_PER_PARTNER : (i + 1) * FOLDERS_PER_PARTNER]
            for i, domain in enumerate(PARTNER_DOMAINS)
        }

    # ------------------------------------------------------------------ queries
    def pick_user(self, rng: random.Random) -> User:
        """An internal user, weighted by activity (a few people do much of the work)."""
        # bisect on the cumulative weights: what `rng.choices` does, without its overhead
        index = bisect_right(self._activity_cum, rng.random() * self._activity_cum[-1])
        return self.users[min(index, len(self.users) - 1)]

    def is_partner(self, login: str) -> bool:
        return login.rpartition("@")[2] in self.partner_domains


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out
