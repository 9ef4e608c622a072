"""The event-type catalog (`sql/seeds/box_event_types.csv`) against what public material shows.

`tests/fixtures/box_samples/FINDINGS.md` §10 lists every event type name seen in public material and
where it was seen (letters D O E X P C R). The catalog must name each of them, with `seen_in` spelling
those letters out, except two that appear only in Cortex XSIAM's filter and are probably its typos for
`DISABLE_MULTI_FACTOR_AUTH` / `ENABLE_MULTI_FACTOR_AUTH`: `MULTI_FACTOR_AUTH_DISBLE` (sic) and
`MULTI_FACTOR_AUTH_ENABLE`. The emulator's unlisted types must stay out of the catalog, or nothing would
prove that an unknown type lands in `uncategorized`.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from box_emulator.event_types import UNLISTED_EVENT_TYPES
from pipelines.box_events.event_types import (
    CATALOG_PATH,
    COLUMNS,
    SEVERITIES,
    UNCATEGORIZED,
    EventType,
    load_catalog,
)

FINDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "box_samples" / "FINDINGS.md"

# FINDINGS §10's letters, spelled out as `seen_in` spells them, in the legend's order
SOURCES = {
    "D": "Box docs",
    "O": "Box OpenAPI",
    "E": "Elastic",
    "X": "Cortex XSIAM",
    "P": "Panther",
    "C": "Google SecOps",
    "R": "raw sample",
}
XSIAM_TYPOS = {"MULTI_FACTOR_AUTH_DISBLE", "MULTI_FACTOR_AUTH_ENABLE"}

# the names the SQL layer's issue found landing in `uncategorized`
NAMED_IN_THE_SQL_ISSUE = (
    "ENABLE_TWO_FACTOR_AUTH",
    "MASTER_INVITE_ACCEPT",
    "MASTER_INVITE_REJECT",
    "ITEM_MAKE_CURRENT_VERSION",
    "TAG_ITEM_CREATE",
    "ITEM_SHARED",
    "ITEM_SHARED_CREATE",
)

CATEGORIES = {
    "authentication",
    "file_access",
    "content_changes",
    "sharing",
    "collaboration",
    "users_and_groups",
    "security",
    "governance",
    "box_sign",
    "apps_and_tokens",
    "tasks_and_comments",
    "collections",
}

_ROW = re.compile(r"^\| `([A-Z0-9_]+)` \| ([A-Z](?: [A-Z])*) \| (yes|no) \|$", re.MULTILINE)


def public_names() -> dict[str, str]:
    """FINDINGS §10's full table: event type -> where it was seen, spelled out (`Box docs; ...`)."""
    text = FINDINGS.read_text(encoding="utf-8")
    section = text.split("## 10.", 1)[1].split("### All names", 1)[1].split("\n## ", 1)[0]
    order = list(SOURCES)
    names: dict[str, str] = {}
    for name, letters, _ in _ROW.findall(section):
        assert name not in names, f"FINDINGS lists {name} twice"
        names[name] = "; ".join(SOURCES[letter] for letter in sorted(letters.split(), key=order.index))
    return names


@pytest.fixture(scope="module")
def catalog() -> dict[str, EventType]:
    return {row.event_type: row for row in load_catalog()}


def test_findings_table_parses_into_all_203_names():
    names = public_names()
    assert len(names) == 203
    assert all(names[typo] == "Cortex XSIAM" for typo in XSIAM_TYPOS)


def test_catalog_loads_with_its_columns_and_one_row_per_type(catalog):
    with CATALOG_PATH.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        raw = [row["event_type"] for row in reader]
        assert tuple(reader.fieldnames or ()) == COLUMNS
    assert len(raw) == len(set(raw)) == len(catalog)


def test_every_row_says_where_it_was_seen(catalog):
    known = set(SOURCES.values())
    for row in catalog.values():
        parts = row.seen_in.split("; ")
        assert row.seen_in.strip() and set(parts) <= known, (row.event_type, row.seen_in)


def test_every_public_name_is_catalogued_except_the_xsiam_typos(catalog):
    names = public_names()
    assert set(names) - set(catalog) == XSIAM_TYPOS
    assert not XSIAM_TYPOS & set(catalog)


def test_seen_in_matches_where_findings_saw_the_type(catalog):
    for name, seen_in in public_names().items():
        if name not in XSIAM_TYPOS:
            assert catalog[name].seen_in == seen_in, name


def test_types_named_in_the_sql_issue_are_categorized(catalog):
    for name in NAMED_IN_THE_SQL_ISSUE:
        assert name in catalog and catalog[name].category != UNCATEGORIZED, name


def test_user_stream_names_share_the_category_of_their_admin_logs_counterpart(catalog):
    pairs = {
        "ITEM_DOWNLOAD": "DOWNLOAD",
        "ITEM_PREVIEW": "PREVIEW",
        "ITEM_UPLOAD": "UPLOAD",
        "ITEM_TRASH": "DELETE",
        "LOCK_CREATE": "LOCK",
        "ITEM_SHARED_CREATE": "SHARE",
        "ITEM_SHARED_UNSHARE": "UNSHARE",
        "COLLAB_INVITE_COLLABORATOR": "COLLABORATION_INVITE",
        "COLLAB_ROLE_CHANGE": "COLLABORATION_ROLE_CHANGE",
        "COLLAB_REMOVE_COLLABORATOR": "COLLABORATION_REMOVE",
    }
    for user_name, admin_name in pairs.items():
        assert catalog[user_name].category == catalog[admin_name].category, user_name


def test_emulator_keeps_six_unlisted_types_that_no_source_and_no_catalog_row_names(catalog):
    assert len(set(UNLISTED_EVENT_TYPES)) == 6
    assert not set(UNLISTED_EVENT_TYPES) & set(catalog)
    assert not set(UNLISTED_EVENT_TYPES) & set(public_names())


def test_every_row_has_a_known_category_a_valid_severity_and_a_description(catalog):
    for row in catalog.values():
        assert row.category in CATEGORIES, (row.event_type, row.category)
        assert row.severity in SEVERITIES, (row.event_type, row.severity)
        assert row.description.strip(), row.event_type


def _write_catalog(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([",".join(COLUMNS), *rows]) + "\n", encoding="utf-8")
    return path


def test_load_catalog_rejects_an_empty_seen_in_naming_the_type(tmp_path):
    path = _write_catalog(
        tmp_path / "c.csv", "LOGIN,authentication,info,A user logged in,Box docs", "X_NEW,security,low,New,"
    )
    with pytest.raises(ValueError, match="X_NEW has an empty seen_in"):
        load_catalog(path)


def test_load_catalog_rejects_a_catalog_without_the_seen_in_column(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("event_type,category,severity,description\nLOGIN,authentication,info,Login\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) seen_in"):
        load_catalog(path)


def test_load_catalog_rejects_duplicates_and_unknown_severities(tmp_path):
    twice = _write_catalog(
        tmp_path / "twice.csv", *["LOGIN,authentication,info,A user logged in,Box docs"] * 2
    )
    with pytest.raises(ValueError, match="LOGIN is listed twice"):
        load_catalog(twice)
    severe = _write_catalog(tmp_path / "severe.csv", "LOGIN,authentication,urgent,A user logged in,Box docs")
    with pytest.raises(ValueError, match="unknown severity 'urgent'"):
        load_catalog(severe)
