"""A deterministic emulated enterprise: users, external collaborators, groups, folders, files.

Why deterministic: every generated day draws actors and items from this one world, so the same
seed always yields the same people and content, and a detection test can name the user it
expects. Ids are numeric strings, as Box's are; logins are `first.last@<company_domain>`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

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
FIRST_NAMES: tuple[str, ...] = tuple(_FIRST_NAMES.split())
LAST_NAMES: tuple[str, ...] = tuple(_LAST_NAMES.split())
GROUP_NAMES: tuple[str, ...] = tuple(_GROUP_NAMES.split())
FOLDER_WORDS: tuple[str, ...] = tuple(_FOLDER_WORDS.split())
FILE_STEMS: tuple[str, ...] = tuple(_FILE_STEMS.split())
EXTERNAL_DOMAINS = (
    "gmail.com",
    "partner.example.org",
    "outlook.com",
    "contractor.example.net",
    "yahoo.com",
    "lawfirm.example.com.au",
)
FILE_EXTS = ("pdf", "docx", "xlsx", "pptx", "txt", "png", "csv", "boxnote", "zip", "mp4")
CLASSIFICATIONS = ("Confidential", "Internal", "Public", "Restricted")
SERVICES = (
    ("11443", "Box Web App"),
    ("331", "Box Drive"),
    ("9021", "Box for iOS"),
    ("9022", "Box for Android"),
    ("701", "Box Edit"),
    ("55", "Box Sync for Mac"),
    ("18422", "Salesforce Integration"),
    ("27311", "Audit Exporter (JWT)"),
)


def random_ip(rng: random.Random) -> str:
    """A plausible public address (about 5% IPv6, documentation prefix)."""
    if rng.random() < 0.05:
        return f"2001:db8:{rng.randrange(0x10000):x}::{rng.randrange(1, 0x10000):x}"
    first = rng.choice((23, 34, 52, 64, 73, 98, 104, 107, 142, 162, 172, 199, 203))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _mini(user: User) -> dict[str, Any]:
    return {"type": "user", "id": user.id, "name": user.name, "login": user.login}


@dataclass(slots=True)
class User:
    """A user the events can name (internal, external, service or anonymous)."""

    id: str
    name: str
    login: str
    role: str = "user"  # user | coadmin | admin
    external: bool = False
    ips: tuple[str, ...] = ()
    activity: float = 1.0
    mini: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mini = _mini(self)


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
    """The people and content of one emulated enterprise, built once from the seed."""

    def __init__(
        self, seed: int, *, domain: str = "example.com", n_users: int = 300, n_external: int = 30
    ) -> None:
        rng = random.Random(f"enterprise:{seed}")
        self.domain = domain
        used_ids: set[str] = set()

        def new_id(digits: int) -> str:
            while True:
                value = str(rng.randrange(10 ** (digits - 1), 10**digits))
                if value not in used_ids:
                    used_ids.add(value)
                    return value

        def new_ip() -> str:
            return random_ip(rng)

        names_seen: set[str] = set()
        self.users: list[User] = []
        for i in range(max(n_users, 4)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = f"{first}.{last}".lower()
            n = 2
            while local in names_seen:
                local = f"{first}.{last}{n}".lower()
                n += 1
            names_seen.add(local)
            role = "admin" if i == 0 else "coadmin" if i in (1, 2) else "user"
            ips = (new_ip(),) if rng.random() < 0.6 else (new_ip(), new_ip())
            self.users.append(
                User(
                    id=new_id(11),
                    name=f"{first} {last}",
                    login=f"{local}@{domain}",
                    role=role,
                    ips=ips,
                    activity=rng.paretovariate(2.5),
                )
            )
        self.admin = self.users[0]
        self.admins = [u for u in self.users if u.role in ("admin", "coadmin")]
        self.regular_users = [u for u in self.users if u.role == "user"]
        self.service_account = User(
            id=new_id(11),
            name="Audit Exporter",
            login=(
                f"AutomationUser_{rng.randrange(100000, 999999)}_{rng.randrange(10**9):09d}@boxdevedition.com"
            ),
            role="admin",
            ips=(new_ip(),),
        )
        self.externals: list[User] = []
        for _ in range(n_external):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            ext_domain = rng.choice(EXTERNAL_DOMAINS)
            self.externals.append(
                User(
                    id=new_id(11),
                    name=f"{first} {last}",
                    login=f"{first.lower()}.{last.lower()}{rng.randrange(10, 99)}@{ext_domain}",
                    external=True,
                    ips=(new_ip(),),
                )
            )
        self.by_id: dict[str, User] = {u.id: u for u in [*self.users, *self.externals]}
        self.by_id[self.service_account.id] = self.service_account
        self.by_id[ANONYMOUS.id] = ANONYMOUS

        self.groups = [Group(new_id(9), name) for name in GROUP_NAMES]

        self.folders: list[Folder] = []
        root_names = ["All Files"]
        for i in range(160):
            owner = rng.choice(self.users)
            parent = rng.choice(self.folders) if self.folders and rng.random() < 0.7 else None
            name = f"{rng.choice(FOLDER_WORDS)} {rng.choice(FOLDER_WORDS)}"
            if i % 7 == 0:
                name = f"{name} {2020 + i % 7}"
            self.folders.append(
                Folder(
                    id=new_id(12),
                    name=name,
                    parent_id=parent.id if parent else "0",
                    parent_name=parent.name if parent else root_names[0],
                    owner=owner,
                    synced=rng.random() < 0.3,
                )
            )
        self.files: list[File] = []
        for _ in range(3000):
            folder = rng.choice(self.folders)
            ext = rng.choice(FILE_EXTS)
            self.files.append(
                File(
                    id=new_id(13),
                    name=f"{rng.choice(FILE_STEMS)}-{rng.randrange(1, 400)}.{ext}",
                    folder=folder,
                    owner=folder.owner if rng.random() < 0.7 else rng.choice(self.users),
                    size=int(rng.lognormvariate(12, 2)) + 1,
                    version_id=new_id(13),
                    classification=rng.choice(CLASSIFICATIONS) if rng.random() < 0.25 else None,
                )
            )
        self._activity_cum = _cumulative([u.activity for u in self.users])

    def pick_user(self, rng: random.Random) -> User:
        """An internal user, weighted by activity (a few people do much of the work)."""
        return rng.choices(self.users, cum_weights=self._activity_cum, k=1)[0]


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out
