"""The offline report in a real browser: Debian's headless Chromium opens the written file with the
network blocked, every chart renders, and what the page shows (headline numbers, each chart's data,
the tables) is what SQL on the same warehouse says, exactly. Also: the empty states, and an item,
a login, a category and a finding named like HTML, which must show as text and never run.

`REPORT_SCREENSHOT=docs/img/report.png pytest tests/pictures` also writes the README's screenshot.
"""

from __future__ import annotations

import base64
import html
import os
import shutil
import struct
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines import jobs
from pipelines.box_events.exceptions import ConfigurationError
from pipelines.pictures import figures, marts
from pipelines.pictures.report import write_report
from tests.conftest import NOW
from tests.pictures.browser import WINDOW
from tests.transforms.world import World

DAYS = marts.Days.ending(NOW, 30)
IN_DAYS = DAYS.where()
WIDTH = WINDOW[0]
CHARTS = ("daily-events", "logins", "top-actors", "external-sharing", "detections")


# ---------------------------------------------------------------------- helpers
def open_page(browser: Any, path: Path) -> Any:
    browser.get(path.resolve().as_uri())
    return browser


def problems(browser: Any) -> list[str]:
    """Script errors and refused requests of the page so far (conftest's WATCH), and every request it
    made, whatever its origin (a file next to the page would be one): a self-contained page has none."""
    requests = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return browser.execute_script("return window.__problems") + [f"request: {url}" for url in requests]


def chart_data(browser: Any, key: str) -> list[dict[str, Any]]:
    """A chart's traces as plotly.js holds them on the page (`gd.data`)."""
    return browser.execute_script(
        "const gd = document.getElementById(arguments[0]);"
        "return gd.data.map(t => ({name: t.name, type: t.type,"
        "  x: Array.from(t.x || []), y: Array.from(t.y || []),"
        "  z: t.z ? Array.from(t.z, row => Array.from(row)) : null}));",
        f"chart-{key}",
    )


def headline(browser: Any) -> dict[str, tuple[int, str]]:
    """The headline cards: {key: (data-value, the number as shown)}."""
    cards = browser.execute_script(
        "return Array.from(document.querySelectorAll('#headlines .card'), c =>"
        " [c.dataset.key, c.dataset.value, c.querySelector('.value').textContent]);"
    )
    return {key: (int(value), shown) for key, value, shown in cards}


def png_facts(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the decoded image data) of a PNG; fails if not one."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, width, height = 8, b"", 0, 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def screenshot(browser: Any, *, height: int | None = None) -> bytes:
    """The page (all of it, or its top `height` pixels) as PNG, 1280 px wide."""
    full = browser.execute_script("return document.documentElement.scrollHeight")
    clip = {"x": 0, "y": 0, "width": WIDTH, "height": min(height or full, full), "scale": 1}
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    return base64.b64decode(shot["data"])


class Attributes(HTMLParser):
    """Every tag and its attributes, and the text of every script."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def report(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(
        world.pipeline, days=30, out=tmp_path_factory.mktemp("report") / "report.html", now=NOW
    )


@pytest.fixture(scope="module")
def page(browser: Any, report: Path) -> Any:
    return open_page(browser, report)


# ---------------------------------------------------------------------- the page as a file
def test_report_is_one_file_with_nothing_to_fetch(report: Path):
    text = report.read_text(encoding="utf-8")
    parsed = Attributes()
    parsed.feed(text)
    linked = [(tag, a) for tag, attrs in parsed.tags for a in ("src", "href") if attrs.get(a)]
    assert not linked, f"the page links out: {linked}"
    assert not [tag for tag, _ in parsed.tags if tag in ("link", "iframe", "img", "object", "embed")]
    assert "@import" not in text and "url(http" not in text
    plotly_scripts = [s for s in parsed.scripts if "plotly.js v" in s[:2000]]
    assert len(plotly_scripts) == 1, "plotly.js is inlined exactly once"
    assert sum(s.count("Plotly.newPlot") for s in parsed.scripts) == len(CHARTS)
    policy = next(a["content"] for tag, a in parsed.tags if a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in (policy or "") and "connect-src 'none'" in (policy or "")
    assert "unsafe-eval" not in (policy or "")
    assert "Box audit report, 25 Oct – 23 Nov 2026" in text  # the title: the report's days
    assert "2026-11-23 12:00 UTC" in text  # generated at


# ---------------------------------------------------------------------- the page in a browser
def test_every_chart_renders_offline(page: Any):
    plots = page.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot'), gd =>"
        " [gd.id, gd.data.length, gd.querySelectorAll('.main-svg').length,"
        "  gd.querySelectorAll('.trace, .hm, image').length]);"
    )
    assert [p[0] for p in plots] == [f"chart-{key}" for key in CHARTS]
    for chart_id, traces, svgs, drawn in plots:
        assert traces > 0 and svgs > 0 and drawn > 0, chart_id
    assert problems(page) == []


def test_screenshot_is_a_real_picture(page: Any):
    whole = screenshot(page)
    width, height, distinct = png_facts(whole)
    assert width == WIDTH and height > 3000, (width, height)
    assert len(whole) > 100_000 and distinct > 100, "the screenshot looks blank"
    target = os.environ.get("REPORT_SCREENSHOT")
    if target:  # the README's picture: the top of the page, down to the exposure tables
        top = page.execute_script(
            "return Math.ceil(document.getElementById('exposure').getBoundingClientRect().top + scrollY)"
        )
        Path(target).write_bytes(screenshot(page, height=top - 8))


def test_headline_numbers_are_the_warehouse_numbers(world: World, page: Any):
    where_events = f"{IN_DAYS} and actor_id is not null and not coalesce(actor_is_anonymous, false)"
    ((events, users),) = world.query(
        f"select count(*) filter (where {IN_DAYS}), count(distinct actor_id) filter (where {where_events}) "
        "from stg_box__events"
    )
    ((shares,),) = world.query(f"select count(*) from mart_external_sharing where {IN_DAYS}")
    ((new,),) = world.query(f"select count(*) from detection_findings where {IN_DAYS} and status = 'new'")
    expected = {"events": events, "users": users, "external_shares": shares, "open_findings": new}
    shown = headline(page)
    assert {key: value for key, (value, _) in shown.items()} == expected
    assert {key: text for key, (_, text) in shown.items()} == {k: f"{v:,}" for k, v in expected.items()}
    assert events == len(world.events) > 0  # the world's 15 days are all inside the report's 30


def test_daily_events_chart_counts_every_event(world: World, page: Any):
    drawn = {
        (html.unescape(trace["name"]), day): n
        for trace in chart_data(page, "daily-events")
        for day, n in zip(trace["x"], trace["y"], strict=True)
    }
    rows = world.query(
        f"select cast(occurred_on as varchar), coalesce(category, 'uncategorized'), count(*) "
        f"from stg_box__events where {IN_DAYS} group by 1, 2"
    )
    assert drawn == {(category, day): n for day, category, n in rows}
    per_day = Counter()
    for (_, day), n in drawn.items():
        per_day[day] += n
    served = Counter(
        datetime.fromisoformat(e["created_at"]).astimezone(UTC).date().isoformat() for e in world.events
    )
    assert per_day == served  # and every event the emulator served is counted on its UTC day


def test_login_heatmaps_count_logins_by_weekday_and_hour(world: World, page: Any):
    logins, failed = chart_data(page, "logins")
    assert (logins["name"], failed["name"]) == ("logins", "failed logins")
    assert logins["y"] == list(figures.WEEKDAYS) and logins["x"] == list(range(24))
    # the oracle: what the emulator served, its `created_at` (any offset) read in UTC by Python
    expected = {"LOGIN": [[0] * 24 for _ in range(7)], "FAILED_LOGIN": [[0] * 24 for _ in range(7)]}
    for event in world.events:
        if event["event_type"] in expected:
            at = datetime.fromisoformat(event["created_at"]).astimezone(UTC)
            expected[event["event_type"]][at.isoweekday() - 1][at.hour] += 1
    assert logins["z"] == expected["LOGIN"] and failed["z"] == expected["FAILED_LOGIN"]
    assert sum(map(sum, failed["z"])) > 0 and sum(map(sum, logins["z"])) > 0


def test_top_actors_are_the_busiest_accounts(world: World, page: Any):
    (trace,) = chart_data(page, "top-actors")
    shown = [(html.unescape(actor), n) for actor, n in zip(trace["y"], trace["x"], strict=True)]
    busiest = world.query(
        f"select count(*) from stg_box__events where {IN_DAYS} and actor_id is not null "
        f"group by actor_id order by 1 desc limit {marts.TOP_ACTORS}"
    )
    assert [n for _, n in shown] == [n for (n,) in busiest]
    for actor, n in shown:  # each bar is that account's events
        who = "actor_is_anonymous" if actor == marts.ANONYMOUS else f"actor_login = '{actor}'"
        assert world.query(f"select count(*) from stg_box__events where {IN_DAYS} and {who}") == [(n,)]


def test_external_sharing_chart_counts_each_exposure(world: World, page: Any):
    names = {human: key for key, human in figures.EXPOSURE_NAMES.items()}
    drawn = {
        (names[trace["name"]], day): n
        for trace in chart_data(page, "external-sharing")
        for day, n in zip(trace["x"], trace["y"], strict=True)
    }
    rows = world.query(
        f"select cast(occurred_on as varchar), exposure, count(*) from mart_external_sharing "
        f"where {IN_DAYS} group by 1, 2"
    )
    assert drawn == {(exposure, day): n for day, exposure, n in rows}
    assert {exposure for exposure, _ in drawn} == set(figures.EXPOSURE_NAMES)


def test_detections_by_severity_and_the_newest_first(world: World, page: Any):
    drawn = {
        (severity, trace["name"]): n
        for trace in chart_data(page, "detections")
        for severity, n in zip(trace["x"], trace["y"], strict=True)
    }
    rows = world.query(
        f"select severity, status, count(*) from detection_findings where {IN_DAYS} group by 1, 2"
    )
    assert drawn == {(severity, status): n for severity, status, n in rows}
    listed = page.execute_script(
        "return Array.from(document.querySelectorAll('table[data-table=newest-findings] tbody tr'),"
        " tr => Array.from(tr.cells, td => td.textContent));"
    )
    newest = world.query(
        f"select severity, rule_title, summary from detection_findings where {IN_DAYS} "
        f"order by last_seen_at desc, detection_id limit {marts.NEWEST_ROWS}"
    )
    assert [(row[1], row[3], row[5]) for row in listed] == newest


def test_exposed_now_is_the_current_state(world: World, page: Any):
    summary = page.execute_script(
        "return Array.from(document.querySelectorAll('#exposure-summary strong'), s => +s.dataset.value);"
    )
    ((links, people),) = world.query(
        "select (select count(*) from cur_open_shared_links), "
        "(select count(distinct collaborator_id) from cur_external_collaborations)"
    )
    assert summary == [links, people] and links > 0 and people > 0
    items = page.execute_script(
        "return Array.from(document.querySelectorAll('table[data-table=open-links] tbody tr'),"
        " tr => tr.cells[0].textContent);"
    )
    newest = world.query(
        "select item_name from cur_open_shared_links order by last_changed_at desc nulls last, item_id "
        f"limit {marts.NEWEST_ROWS}"
    )
    assert items == [name for (name,) in newest]


def test_coverage_section_reads_the_ledger(page: Any):
    facts = dict(
        page.execute_script(
            "return Array.from(document.querySelectorAll('#coverage table.facts tr'),"
            " tr => [tr.cells[0].textContent, tr.cells[1].textContent]);"
        )
    )
    # the world is backfilled over [NOW - 16 days, NOW - 1 day): 15 of the report's 30 days
    assert facts["covered to"] == "2026-11-22 12:00 UTC (24h00m ago)"
    assert facts["gaps"] == "none"
    assert facts["this report's days"].startswith("50% covered")
    assert page.find_element("id", "covered").text.endswith("2026-11-07 12:00 → 2026-11-22 12:00 UTC")


# ---------------------------------------------------------------------- nothing to show
def test_a_quiet_period_shows_empty_states_not_empty_charts(world: World, browser: Any, tmp_path: Path):
    # sixty days on, the last 30 days hold no event (the shared links and collaborators stay open)
    path = write_report(world.pipeline, days=30, out=tmp_path / "quiet.html", now=NOW + timedelta(days=60))
    page = open_page(browser, path)
    assert page.execute_script("return document.querySelectorAll('.js-plotly-plot').length") == 0
    empty = dict(
        page.execute_script(
            "return Array.from(document.querySelectorAll('[data-empty]'),"
            " p => [p.dataset.empty, p.textContent]);"
        )
    )
    assert empty == {
        "daily-events": "No events in the last 30 days.",
        "logins": "No logins or failed logins in the last 30 days.",
        "top-actors": "No one did anything in the last 30 days.",
        "external-sharing": (
            "No links opened to anyone and no external collaborators added in the last 30 days."
        ),
        "detections": "No detections in the last 30 days.",
    }
    assert {key: value for key, (value, _) in headline(page).items()} == dict.fromkeys(
        ("events", "users", "external_shares", "open_findings"), 0
    )
    assert problems(page) == []


def test_a_warehouse_without_marts_is_one_line_and_no_file(tmp_path: Path):
    pipeline = jobs.make_pipeline(
        duckdb_path=tmp_path / "missing.duckdb", pipelines_dir=tmp_path / "p", pipeline_name="missing"
    )
    with pytest.raises(ConfigurationError, match="no DuckDB warehouse at"):
        write_report(pipeline, out=tmp_path / "r.html")
    assert not (tmp_path / "missing.duckdb").exists() and not (tmp_path / "r.html").exists()

    duckdb.connect(str(tmp_path / "bare.duckdb")).close()  # a warehouse never transformed
    pipeline = jobs.make_pipeline(
        duckdb_path=tmp_path / "bare.duckdb", pipelines_dir=tmp_path / "p", pipeline_name="bare"
    )
    with pytest.raises(
        ConfigurationError, match=r"has no mart_daily_event_counts, .* run `boxevents transform`"
    ):
        write_report(pipeline, out=tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------------- hostile names
ATTACKS = {
    "item": "<script>window.pwned = 'item'</script>",
    "login": "<img src=x onerror=\"window.pwned='login'\">",
    "category": "<svg onload=\"window.pwned='category'\"></svg>",
    "finding": "</td></tr></table><script>window.pwned='finding'</script>",
    "rule": "<b onmouseover=\"window.pwned='rule'\">rule</b>",
}


def _hostile_copy(world: World, root: Path) -> Any:
    """A copy of the world's warehouse whose marts carry names written like HTML."""
    source = Path(world.pipeline.destination.config_params["credentials"].database)
    shutil.copy(source, root / "warehouse.duckdb")
    pipeline = jobs.make_pipeline(
        duckdb_path=root / "warehouse.duckdb", pipelines_dir=root / "pipelines", pipeline_name="hostile"
    )
    a = {key: value.replace("'", "''") for key, value in ATTACKS.items()}
    with pipeline.sql_client() as client:
        for sql in (
            # cur_open_shared_links is a view on int_shared_links
            f"update int_shared_links set item_name = '{a['item']}' where item_id = ("
            "select item_id from cur_open_shared_links order by last_changed_at desc nulls last, item_id "
            "limit 1)",
            f"update mart_user_daily_activity set actor_login = '{a['login']}' where actor_id = ("
            f"select actor_id from mart_user_daily_activity where {IN_DAYS} group by actor_id "
            "order by sum(events) desc limit 1)",
            f"update mart_daily_event_counts set category = '{a['category']}' where category = 'file_access'",
            f"update detections set summary = '{a['finding']}', rule_title = '{a['rule']}' "
            "where detection_id = ("
            "select detection_id from detections order by last_seen_at desc, detection_id limit 1)",
        ):
            client.execute_sql(sql)
    return pipeline


def test_names_written_like_html_show_as_text_and_never_run(world: World, browser: Any, tmp_path: Path):
    path = write_report(_hostile_copy(world, tmp_path), days=30, out=tmp_path / "hostile.html", now=NOW)
    text = path.read_text(encoding="utf-8")
    for attack in ATTACKS.values():
        assert attack not in text  # nowhere raw, not even inside plotly's JSON
    page = open_page(browser, path)
    assert page.execute_script("return window.pwned === undefined")
    counts = page.execute_script(
        "return [document.querySelectorAll('img, b, svg > svg, table table').length,"
        " document.scripts.length];"
    )
    assert counts == [0, 1 + len(CHARTS)]  # plotly.js, one call per chart, nothing else
    body = page.execute_script("return document.body.innerText")
    for key in ("item", "finding", "rule"):  # the tables show each name as it is
        assert ATTACKS[key] in body, key
    # the charts too: plotly gets the escaped text and draws the name as it is
    (actors,) = chart_data(page, "top-actors")
    assert actors["y"][0] == figures.label(ATTACKS["login"])
    assert html.unescape(actors["y"][0]) == ATTACKS["login"]
    ticks = page.execute_script(
        "return Array.from(document.querySelectorAll('#chart-top-actors .ytick text'), t => t.textContent);"
    )
    assert ATTACKS["login"] in ticks
    legend = page.execute_script(
        "return Array.from(document.querySelectorAll('#chart-daily-events .legendtext'), t => t.textContent);"
    )
    assert ATTACKS["category"] in legend
    # and the numbers are unchanged by the names
    assert Counter(t["type"] for t in chart_data(page, "daily-events")) == Counter({"bar": len(legend)})
    assert problems(page) == []
