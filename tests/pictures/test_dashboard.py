"""The dashboard in a real browser, over the transform tests' world: every number, bar and event id
it shows is the one SQL gives for the same filters, and the page loads with the network blocked.

One server and one headless Chromium for the module (the world is the session's). Every wait is on
something the page shows (WebDriverWait), never a sleep.
`DASHBOARD_SCREENSHOT=docs/img/dashboard.png pytest tests/pictures/test_dashboard.py` also writes
the docs' picture.
"""

from __future__ import annotations

import html
import os
import struct
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from pipelines import query
from pipelines.box_events.exceptions import ConfigurationError
from pipelines.pictures import dashboard_data as data
from pipelines.pictures.dashboard import build_app, running_dashboard
from tests.pictures.browser import chromium, outside_requests
from tests.transforms.world import World

CAP = 100
"""The drill-down's row cap in this module: below the busiest bar (about 490 events), above others."""
WAIT_S = 30
SCREENSHOT = (1280, 1000)
EVENTS_AND_USERS = (
    "select count(*), count(distinct case when not actor_is_anonymous then actor_id end) "
    "from stg_box__events where occurred_on between ? and ?"
)


@pytest.fixture(scope="module")
def dashboard(world: World) -> Iterator[str]:
    with running_dashboard(world.pipeline, drill_rows=CAP) as url:
        yield url


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    with chromium() as browser:
        yield browser


def sql(world: World, text: str, *params: Any) -> list[tuple[Any, ...]]:
    """The oracle: a read-only query on the world's warehouse."""
    return query.run_query(world.pipeline, text, params=params).rows


def default_range(world: World) -> tuple[date, date]:
    [(first, last)] = sql(world, "select min(occurred_on), max(occurred_on) from stg_box__events")
    return max(first, last - timedelta(days=data.DEFAULT_DAYS - 1)), last


def open_page(driver: WebDriver, url: str) -> None:
    """Load the page and wait until its summary and bars are drawn."""
    driver.get(url)
    WebDriverWait(driver, WAIT_S).until(lambda d: d.find_elements(By.ID, "summary-events"))
    WebDriverWait(driver, WAIT_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#daily .barlayer .point"))


def summary(driver: WebDriver) -> tuple[int, int] | None:
    """(events, users) as the summary line shows them; None while it is not drawn."""
    numbers = driver.find_elements(By.CSS_SELECTOR, "#summary-events, #summary-users")
    try:
        events, users = (int(n.text.replace(",", "")) for n in numbers)
    except ValueError:  # not drawn yet, or being redrawn
        return None
    return events, users


def chart(driver: WebDriver, graph: str) -> list[dict[str, Any]]:
    """The traces a graph draws now (name, x, y), read from plotly in the page."""
    return driver.execute_script(
        "const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return gd && gd.data ? gd.data.map(t => ({name: t.name, x: t.x, y: t.y})) : [];",
        f"#{graph}",
    )


def bars(driver: WebDriver) -> dict[tuple[str, str], int]:
    """`{(day, category): events}` of the daily chart."""
    drawn = {}
    for trace in chart(driver, "daily"):
        for day, events in zip(trace["x"], trace["y"], strict=True):
            drawn[(str(day)[:10], html.unescape(trace["name"]))] = events
    return drawn


def choose(driver: WebDriver, dropdown: str, value: str) -> None:
    """Pick `value` in a Dash dropdown the way a person does: open it, click the option."""
    driver.find_element(By.ID, dropdown).click()
    option = WebDriverWait(driver, WAIT_S).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"[role=listbox] input[value='{value}']")
    )[0]
    option.find_element(By.XPATH, "./ancestor::*[@role='option']").click()


def click_bar(driver: WebDriver, day: date, category: str) -> None:
    """A real mouse click on the bar of `day` and `category` in the daily chart."""
    bar = driver.execute_script(
        "const gd = document.querySelector('#daily .js-plotly-plot');"
        "const i = gd.data.findIndex(t => t.name === arguments[0]);"
        "const j = gd.data[i].x.findIndex(x => String(x).slice(0, 10) === arguments[1]);"
        "return document.querySelectorAll('#daily .barlayer .trace')[i].querySelectorAll('.point')[j];",
        category,
        day.isoformat(),
    )
    ActionChains(driver).move_to_element(bar).click().perform()


def drilled_ids(driver: WebDriver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#drill-table td[data-dash-column=event_id]'))"
        ".map(td => td.textContent);"
    )


def text_of(driver: WebDriver, element_id: str) -> str | None:
    found = driver.find_elements(By.ID, element_id)
    return found[0].text if found else None


# --- the tests ------------------------------------------------------------------------------------


def test_the_summary_counts_the_default_range_exactly_with_the_network_blocked(world, dashboard, driver):
    open_page(driver, dashboard)
    first, last = default_range(world)
    [(events, users)] = sql(world, EVENTS_AND_USERS, first, last)
    assert events > 0 and users > 0
    assert summary(driver) == (events, users)
    assert sum(bars(driver).values()) == events
    assert [
        e.get_attribute("value") for e in driver.find_elements(By.CSS_SELECTOR, "input.dash-datepicker-input")
    ] == [
        first.isoformat(),
        last.isoformat(),
    ]
    assert outside_requests(driver) == [], "the page asked something of another origin"


def test_choosing_a_category_shows_exactly_its_numbers(world, dashboard, driver):
    open_page(driver, dashboard)
    first, last = default_range(world)
    choose(driver, "category", "sharing")
    [(events, users)] = sql(world, EVENTS_AND_USERS + " and category = ?", first, last, "sharing")
    WebDriverWait(driver, WAIT_S).until(lambda d: summary(d) == (events, users))
    per_day = sql(
        world,
        "select occurred_on, count(*) from stg_box__events "
        "where occurred_on between ? and ? and category = ? group by occurred_on",
        first,
        last,
        "sharing",
    )
    WebDriverWait(driver, WAIT_S).until(
        lambda d: bars(d) == {(day.isoformat(), "sharing"): n for day, n in per_day}
    )
    busiest = sql(
        world,
        "select actor_login, count(*) as n from stg_box__events "
        "where occurred_on between ? and ? and category = ? and actor_login is not null "
        "and not actor_is_anonymous group by actor_login order by n desc, actor_login limit 3",
        first,
        last,
        "sharing",
    )
    [actors] = chart(driver, "top-actors")
    shown = list(zip((html.unescape(a) for a in actors["y"]), actors["x"], strict=True))
    assert busiest and all(row in shown for row in busiest)


def test_clicking_a_bar_lists_exactly_the_events_behind_it(world, dashboard, driver):
    open_page(driver, dashboard)
    first, last = default_range(world)
    per_bar = sql(
        world,
        "select occurred_on, category, count(*) as n from stg_box__events "
        "where occurred_on between ? and ? group by occurred_on, category order by n desc",
        first,
        last,
    )
    over_cap = per_bar[0]
    under_cap = next(bar for bar in per_bar if 20 <= bar[2] <= CAP)
    assert over_cap[2] > CAP
    for day, category, n in (over_cap, under_cap):
        click_bar(driver, day, category)
        expected_count = f"showing {min(n, CAP):,} of {n:,} events"
        WebDriverWait(driver, WAIT_S).until(lambda d, want=expected_count: text_of(d, "drill-count") == want)
        expected_ids = sql(
            world,
            "select event_id from stg_box__events where occurred_on = ? and category = ? "
            "order by occurred_at, event_id limit ?",
            day,
            category,
            CAP,
        )
        assert drilled_ids(driver) == [event_id for (event_id,) in expected_ids]


def test_between_refreshes_a_writer_can_open_the_warehouse(world, dashboard, driver):
    """DuckDB lets no process write while another holds the file open, even read-only: a writer in
    another process opening it proves the dashboard let go after its refresh."""
    open_page(driver, dashboard)
    choose(driver, "category", "authentication")
    WebDriverWait(driver, WAIT_S).until(lambda d: " in authentication" in (text_of(d, "summary") or ""))
    path = world.pipeline.sql_client().credentials.database
    writer = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    opened = subprocess.run([sys.executable, "-c", writer, path], capture_output=True, text=True, timeout=60)
    assert opened.returncode == 0, opened.stderr


def test_a_writer_that_keeps_the_warehouse_is_one_line_and_the_next_refresh_recovers(
    world, dashboard, driver, monkeypatch
):
    open_page(driver, dashboard)
    monkeypatch.setattr(query, "READ_WAIT_S", 1.0)
    path = world.pipeline.sql_client().credentials.database
    holder = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); input()"
    writer = subprocess.Popen(
        [sys.executable, "-c", holder, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline() == "held\n"
        choose(driver, "category", "collaboration")
        WebDriverWait(driver, WAIT_S).until(lambda d: text_of(d, "dashboard-error"))
        assert text_of(driver, "dashboard-error") == (
            f"error: another process is writing {path} and kept it for more than 1s: try again when its "
            "load ends (a `stream --follow` lets go between polls)"
        )
    finally:
        writer.communicate("\n", timeout=60)
    first, last = default_range(world)
    [(events, users)] = sql(world, EVENTS_AND_USERS + " and category = ?", first, last, "sharing")
    choose(driver, "category", "sharing")
    WebDriverWait(driver, WAIT_S).until(lambda d: summary(d) == (events, users))


def test_the_picture_for_the_docs_is_1280_wide_and_small(world, dashboard, driver, tmp_path):
    open_page(driver, dashboard)
    first, last = default_range(world)
    [(day, category, n)] = sql(
        world,
        "select occurred_on, category, count(*) as n from stg_box__events where category = 'sharing' "
        "and occurred_on between ? and ? group by all order by n desc, occurred_on limit 1",
        first,
        last,
    )
    click_bar(driver, day, category)
    WebDriverWait(driver, WAIT_S).until(lambda d: text_of(d, "drill-count") == f"showing {n} of {n} events")
    picture = screenshot(driver, tmp_path / "dashboard.png")
    width, _height = png_size(picture.read_bytes())
    assert width == SCREENSHOT[0]
    assert picture.stat().st_size < 300_000
    if target := os.environ.get("DASHBOARD_SCREENSHOT"):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_bytes(picture.read_bytes())


def screenshot(driver: WebDriver, path: Path) -> Path:
    """The window at `SCREENSHOT` size as a PNG (the drill-down below the chart in view)."""
    before = driver.get_window_size()
    driver.set_window_size(*SCREENSHOT)
    try:
        path.write_bytes(driver.get_screenshot_as_png())
    finally:
        driver.set_window_size(before["width"], before["height"])
    return path


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


# --- the reads behind it, without a browser ------------------------------------------------------


def test_the_default_range_is_the_last_30_days_that_hold_data():
    year = data.Bounds(date(2026, 1, 1), date(2026, 12, 31))
    assert year.default_filters() == data.Filters(date(2026, 12, 2), date(2026, 12, 31))
    week = data.Bounds(date(2026, 5, 1), date(2026, 5, 7))
    assert week.default_filters() == data.Filters(date(2026, 5, 1), date(2026, 5, 7))
    assert data.Bounds(None, None).default_filters(today=date(2026, 6, 1)) == data.Filters(
        date(2026, 6, 1), date(2026, 6, 1)
    )


def test_a_user_filter_is_a_bound_value_never_sql(world):
    first, last = default_range(world)
    [(login, day, on_day, in_range)] = sql(
        world,
        "select actor_login, occurred_on, count(*) as n, sum(count(*)) over (partition by actor_login) "
        "from stg_box__events where occurred_on between ? and ? and category = 'file_access' "
        "and actor_login is not null group by actor_login, occurred_on order by n desc, 1, 2 limit 1",
        first,
        last,
    )
    assert on_day > 3
    chosen = data.Filters(first, last, user=login, category="file_access")
    with data.reading(world.pipeline) as read:
        assert data.summary(read, chosen) == data.Summary(int(in_range), 1)
        drill = data.events_behind(read, chosen, day, "file_access", limit=3)
        hostile = data.Filters(first, last, user="x' or '1' = '1", category="sharing' --")
        assert data.summary(read, hostile) == data.Summary(0, 0)
    assert (drill.total, len(drill.rows)) == (on_day, 3)
    assert {row[2] for row in drill.rows} == {login}


def test_it_answers_only_to_loopback_names(dashboard):
    """A page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) gets nothing."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    port = urlsplit(dashboard).port
    for name in ("127.0.0.1", "localhost"):
        asked = urllib.request.Request(dashboard, headers={"Host": f"{name}:{port}"})
        with opener.open(asked, timeout=10) as answer:
            assert answer.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(urllib.request.Request(dashboard, headers={"Host": f"rebind.example:{port}"}), timeout=10)
    assert refused.value.code == 421


def test_a_warehouse_without_the_transforms_is_refused_in_one_line(tmp_path):
    from pipelines import jobs

    pipeline = jobs.make_pipeline(duckdb_path=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pipelines")
    pipeline.run([{"event_id": "a"}], table_name="admin_logs")
    with pytest.raises(
        ConfigurationError, match=r"^the warehouse has no stg_box__events yet: run `boxevents"
    ):
        build_app(pipeline)
