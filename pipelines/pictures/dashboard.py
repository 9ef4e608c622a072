"""`boxevents dashboard`: a small read-only web app over the warehouse, for people who explore.

A date range (the last 30 days of data to begin with), a user and a category; the daily events by
category, a summary line and the top actors under those filters; a click on a bar (one day, one
category) lists the events behind it. The charts are the offline report's (`figures`), so the two
always draw the same thing the same way.

Why Dash: it shares plotly with the report, and its callbacks give click-to-drill-down without any
JavaScript of ours. Flask serves it, through werkzeug's threaded server, on 127.0.0.1 unless told
otherwise: there is no login, so whoever reaches the port reads the audit log. Everything it sends
comes from the Python packages (`serve_locally`): the page works with no internet.

Every refresh reads the warehouse on a read-only connection of its own, closed before the answer
goes back (`dashboard_data`), so a sync or a `stream --follow` can write between two clicks.
"""

from __future__ import annotations

import html as html_text
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dlt
from dash import Dash, Input, Output, State, dash_table, dcc, html
from flask import Flask, Response, request
from werkzeug.serving import BaseWSGIServer, make_server

from ..box_events import stopping
from ..box_events.event_types import categories, load_catalog
from ..box_events.exceptions import BoxEventsError, ConfigurationError
from . import dashboard_data as data
from . import figures

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
START_WAIT_S = 30.0
"""How long `running_dashboard` waits for the first answer before it gives up."""
TITLE = "Box audit events"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

log = logging.getLogger(__name__)


def build_app(pipeline: dlt.Pipeline, *, drill_rows: int = data.DRILL_ROWS) -> Dash:
    """The Dash app over the pipeline's warehouse; refuses, in one line, a warehouse the transforms
    have not built. `drill_rows`: the events a clicked bar lists at most."""
    with data.reading(pipeline) as read:
        data.require_tables(read, pipeline.dataset_name)
    # enable_mcp=False: no environment variable may add Dash's MCP endpoint to an audit-log app
    app = Dash(__name__, title=TITLE, update_title=None, serve_locally=True, enable_mcp=False)
    app.layout = lambda: _layout(pipeline)  # a function: every page load sees the newest days and users
    _callbacks(app, pipeline, drill_rows)
    return app


# --- the page -----------------------------------------------------------------------------------

_PAGE = {"fontFamily": figures.FONT, "maxWidth": "1240px", "margin": "0 auto", "padding": "0 20px"}
_ROW = {"display": "flex", "gap": "16px", "alignItems": "center", "flexWrap": "wrap"}


def _layout(pipeline: dlt.Pipeline) -> html.Div:
    try:
        with data.reading(pipeline) as read:
            bounds = data.bounds(read)
            logins = data.users(read)
    except BoxEventsError as exc:  # e.g. a writer kept the file past the wait: say so, reload later
        return html.Div([html.H2(TITLE), _error(exc)], style=_PAGE)
    chosen = bounds.default_filters()
    return html.Div(
        [
            html.H2(TITLE, style={"margin": "16px 0 8px"}),
            html.Div(
                [
                    dcc.DatePickerRange(
                        id="range",
                        start_date=chosen.first.isoformat(),
                        end_date=chosen.last.isoformat(),
                        min_date_allowed=(bounds.first or chosen.first).isoformat(),
                        max_date_allowed=(bounds.last or chosen.last).isoformat(),
                        display_format="YYYY-MM-DD",
                        updatemode="bothdates",
                    ),
                    dcc.Dropdown(
                        id="user",
                        options=logins,
                        placeholder="all users",
                        style={"width": "360px"},
                    ),
                    dcc.Dropdown(
                        id="category",
                        options=categories(load_catalog()),
                        placeholder="all categories",
                        style={"width": "240px"},
                    ),
                ],
                style=_ROW,
            ),
            html.P(id="summary", style={"fontSize": "16px", "margin": "12px 0 0"}),
            dcc.Graph(id="daily", config={"displaylogo": False}),
            html.Div(id="drill"),
            html.H3("Top actors", style={"margin": "16px 0 0"}),
            dcc.Graph(id="top-actors", config={"displaylogo": False}),
        ],
        style=_PAGE,
    )


def _callbacks(app: Dash, pipeline: dlt.Pipeline, drill_rows: int) -> None:
    filters_in = (
        Input("range", "start_date"),
        Input("range", "end_date"),
        Input("user", "value"),
        Input("category", "value"),
    )

    @app.callback(
        Output("summary", "children"),
        Output("daily", "figure"),
        Output("top-actors", "figure"),
        Output("daily", "clickData"),  # new filters: the drill-down of the old ones goes away
        *filters_in,
    )
    def refresh(first: str, last: str, user: str | None, category: str | None) -> tuple[Any, ...]:
        try:
            chosen = _filters(first, last, user, category)
            with data.reading(pipeline) as read:
                summary = data.summary(read, chosen)
                daily = data.daily_events_by_category(read, chosen)
                top = data.top_actors(read, chosen)
        except BoxEventsError as exc:
            return _error(exc), figures.daily_events_by_category([]), figures.top_actors([]), None
        return (
            _summary_line(summary, chosen),
            figures.daily_events_by_category(daily, span=(chosen.first, chosen.last)),
            figures.top_actors(top),
            None,
        )

    @app.callback(
        Output("drill", "children"),
        Input("daily", "clickData"),
        State("daily", "figure"),
        *(State(i.component_id, i.component_property) for i in filters_in),
    )
    def drill(
        click: dict[str, Any] | None,
        figure: dict[str, Any] | None,
        first: str,
        last: str,
        user: str | None,
        category: str | None,
    ) -> Any:
        if not click or not figure:
            return html.P("Click a bar to see the events behind it.", style={"color": "#6b7280"})
        point = click["points"][0]
        bar_day = _day(point["x"])
        # the trace's name is the category as `figures.label` escaped it for plotly
        bar_category = html_text.unescape(figure["data"][point["curveNumber"]]["name"])
        try:
            with data.reading(pipeline) as read:
                chosen = _filters(first, last, user, category)
                found = data.events_behind(read, chosen, bar_day, bar_category, limit=drill_rows)
        except BoxEventsError as exc:
            return _error(exc)
        return _drill_table(found)


def _filters(first: str | None, last: str | None, user: str | None, category: str | None) -> data.Filters:
    if not first or not last:
        raise ConfigurationError("choose both ends of the date range")
    start, end = _day(first), _day(last)
    if start > end:
        start, end = end, start
    return data.Filters(start, end, user or None, category or None)


def _day(value: str) -> date:
    """A date picker's or plotly's day (`2026-11-20`, sometimes with a time after it)."""
    return date.fromisoformat(str(value)[:10])


def _summary_line(summary: data.Summary, chosen: data.Filters) -> list[Any]:
    scope = [f" in {chosen.category}"] if chosen.category else []
    scope += [" by ", html.B(chosen.user)] if chosen.user else []
    return [
        html.B(f"{summary.events:,}", id="summary-events"),
        " events",
        *scope,
        ", ",
        html.B(f"{summary.users:,}", id="summary-users"),
        " users, ",
        f"{chosen.first:%d %b %Y} – {chosen.last:%d %b %Y} (UTC)",
    ]


def _drill_table(found: data.Drill) -> html.Div:
    """One DataTable, not an html.Table: Dash 4 draws 500 rows of html components (one per cell) in
    30 to 40 s, a DataTable's 500 rows in under 2 s. Cells are text, never HTML. Dash warns that
    DataTable leaves the built-in components in a future major version; its successor, dash-ag-grid,
    is a new dependency, so it waits for that version."""
    return html.Div(
        [
            html.H3(f"{found.category} on {found.day:%a %d %b %Y}", style={"margin": "8px 0 4px"}),
            html.P(f"showing {len(found.rows):,} of {found.total:,} events", id="drill-count"),
            dash_table.DataTable(
                id="drill-table",
                columns=[{"name": name, "id": name} for name in data.EVENT_COLUMNS],
                data=[dict(zip(data.EVENT_COLUMNS, map(_cell, row), strict=True)) for row in found.rows],
                page_action="none",
                sort_action="native",
                style_table={"maxHeight": "420px", "overflowY": "auto"},
                style_cell={"fontFamily": figures.FONT, "fontSize": "13px", "textAlign": "left"},
                style_header={"fontWeight": "bold"},
            ),
        ]
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _error(exc: BoxEventsError) -> html.Span:
    return html.Span(f"error: {exc}", id="dashboard-error", style={"color": "#b91c1c"})


# --- serving ------------------------------------------------------------------------------------


def serve_dashboard(
    pipeline_or_path: dlt.Pipeline | str | Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    drill_rows: int = data.DRILL_ROWS,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve the dashboard until Ctrl-C or SIGTERM. `pipeline_or_path`: the pipeline whose warehouse
    it reads (DuckDB or PostgreSQL), or the path of a DuckDB file. `port` 0 takes any free port;
    `echo` receives the one line that says where to point the browser. The server runs in a thread
    and this one waits for the stop (`stopping.wait`): the command line routes both signals to a
    stop request, which a blocking `serve_forever` here would never see."""
    with running_dashboard(pipeline_or_path, host=host, port=port, drill_rows=drill_rows) as url:
        echo(f"dashboard at {url} (read-only; Ctrl-C stops it)")
        if host not in LOOPBACK:
            log.warning("the dashboard has no login: anyone who can reach %s reads the audit log", url)
        with suppress(KeyboardInterrupt):
            stopping.wait()


@contextmanager
def running_dashboard(
    pipeline_or_path: dlt.Pipeline | str | Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    drill_rows: int = data.DRILL_ROWS,
) -> Iterator[str]:
    """The dashboard served from a background thread (any free port by default); yields its URL
    once the page answers, and stops the server on exit. For tests and screenshots."""
    server = _server(_pipeline(pipeline_or_path), host, port, drill_rows)
    thread = threading.Thread(target=server.serve_forever, name="dashboard", daemon=True)
    thread.start()
    try:
        url = _url(server)
        _wait_until_answers(url, START_WAIT_S)
        yield url
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def _pipeline(pipeline_or_path: dlt.Pipeline | str | Path) -> dlt.Pipeline:
    if isinstance(pipeline_or_path, str | Path):
        from ..jobs import make_pipeline

        return make_pipeline(duckdb_path=pipeline_or_path, must_exist=True)
    return pipeline_or_path


def _server(pipeline: dlt.Pipeline, host: str, port: int, drill_rows: int) -> BaseWSGIServer:
    app = build_app(pipeline, drill_rows=drill_rows)
    if host in LOOPBACK:
        _answer_only_loopback_names(app.server)
    try:
        return make_server(host, port, app.server, threaded=True)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): "
            "pass another --port (0 takes any free one)"
        ) from None


def _answer_only_loopback_names(flask_app: Flask) -> None:
    """Refuse a request whose Host header is not a loopback name (421): a web page can point a name
    of its own at 127.0.0.1 (DNS rebinding) and would then read this dashboard from a browser."""

    @flask_app.before_request
    def refuse_other_names() -> Response | None:
        if urlsplit(f"//{request.host}").hostname in LOOPBACK:
            return None
        return Response("the dashboard answers only to 127.0.0.1 and localhost\n", status=421)


def _url(server: BaseWSGIServer) -> str:
    host = server.host if ":" not in server.host else f"[{server.host}]"
    return f"http://{host}:{server.server_port}/"


def _wait_until_answers(url: str, timeout_s: float) -> None:
    """Poll `url` until it answers 200, or raise after `timeout_s`. No proxy: it is our own port."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise ConfigurationError(f"the dashboard at {url} did not answer within {timeout_s:.0f}s")
        time.sleep(0.05)
