"""Who "us" is: the company's own email domains, inferred from the events when nobody configured them.

Why infer: a login whose domain is not the company's counts as external, so with a wrong default
every employee is "external" and every internal invitation a finding. The enterprise's event log
says who its people are: the users who sign in to it (Box logs an external collaborator's sign-in
in their own enterprise, not in ours) and the admins who run it. So a domain is the company's when

- at least one of its users performed an admin-only action (creating or deleting users, changing
  admin roles, logging in as a user), or
- its users who signed in (LOGIN) number at least `SHARE_OF_LARGEST` of the domain with the most
  signed-in users (a second brand or a subsidiary; not the odd partner who shows up),

and it is not a public mail service. Box's anonymous user (id 2) and Box itself (logins without
`@`) are not users. `boxdevedition.com`, the domain of Box's app service accounts, always belongs to
the enterprise whose apps they are (the SQL layer adds it; see models/staging/company_domains.sql).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

SHARE_OF_LARGEST = 0.2
INFERENCE_MAX_AGE = timedelta(hours=24)
INFERENCE_MAX_GROWTH = 0.1
"""An inference is used again until it is this old, or the events grew by this share since: it
reads every login of the history, which a sync every few minutes should not pay for each time, and
a company's domains change over months, not minutes (`boxevents transform --full` infers again)."""
ADMIN_ONLY_EVENTS = ("NEW_USER", "DELETE_USER", "CHANGE_ADMIN_ROLE", "ADMIN_LOGIN", "EDIT_USER")
PUBLIC_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "yandex.ru",
        "qq.com",
        "163.com",
    ]
)


def infer_company_domains(rows: list[tuple[Any, ...]]) -> list[str]:
    """The company's domains from `(login, event_type, users)` rows: for each login domain and
    event type, how many distinct users of it acted (see `INFERENCE_SQL`)."""
    signed_in: dict[str, int] = defaultdict(int)
    admins: set[str] = set()
    for domain, event_type, users in rows:
        if not domain or domain in PUBLIC_MAIL_DOMAINS:
            continue
        if event_type == "LOGIN":
            signed_in[domain] += int(users)
        if event_type in ADMIN_ONLY_EVENTS:
            admins.add(domain)
    largest = max(signed_in.values(), default=0)
    ours = {d for d, n in signed_in.items() if largest and n >= SHARE_OF_LARGEST * largest} | admins
    return sorted(ours)


def inference_sql(table: str, completed: str) -> str:
    """Distinct acting users per login domain and event type in `table`, for rows where the
    condition `completed` holds (rows of loads dlt recorded as complete)."""
    types = ", ".join(f"'{t}'" for t in ("LOGIN", *ADMIN_ONLY_EVENTS))
    return (
        "select lower(substr(created_by_login, strpos(created_by_login, '@') + 1)) as domain, event_type,"
        " count(distinct created_by_id) as users"
        f" from {table}"
        f" where event_type in ({types}) and created_by_id <> '2' and created_by_login like '%@%'"
        f" and {completed}"
        " group by 1, 2"
    )


def still_current(inferred_at: datetime, rows_then: int, now: datetime, rows_now: int) -> bool:
    """Whether an inference made at `inferred_at` over `rows_then` events still stands at `now` over
    `rows_now` (see INFERENCE_MAX_AGE): fewer rows than then (events removed) infer again too."""
    young = now - inferred_at < INFERENCE_MAX_AGE
    return young and rows_then <= rows_now <= rows_then * (1 + INFERENCE_MAX_GROWTH)
