"""Plotly figures of the warehouse's marts, built from plain rows (no SQL here).

Shared by the offline report (`pipelines.pictures.report`) and the dashboard: each builder takes the
small row set `pipelines.pictures.marts` returns (a sequence of tuples, in the column order its
docstring names; named tuples and lists work too) and returns a `plotly.graph_objects.Figure`.
The signatures are stable; new keyword arguments get defaults.

Text that comes from events (categories, logins, rule ids, severities) is attacker-controlled: a
Box item or a login can be named `<img src=x onerror=…>`. Plotly renders labels as its own small
HTML dialect, so every such label is HTML-escaped here (`label`): plotly then shows it literally,
as text. Numbers and dates pass through unchanged.

A builder given no rows still returns a figure (an empty one); whether to show an empty state
instead is the caller's choice (`is_empty`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

Rows = Iterable[Sequence[Any]]
Span = tuple[date, date] | None
"""First and last day (both included) a time axis shows, so days without rows show as empty; None:
the days of the rows."""

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""ISO days of the week 1..7, Monday first (what `extract(isodow …)` returns)."""
SEVERITIES = ("critical", "high", "medium", "low", "info")
"""Worst first, the order `pipelines.status` uses."""
SEVERITY_COLORS = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#3b82f6",
    "info": "#9ca3af",
}
STATUS_ORDER = ("new", "acknowledged", "suppressed", "resolved")
EXPOSURE_NAMES = {
    "open_shared_link": "links opened to anyone",
    "external_collaborator": "external collaborators added",
}
CATEGORY_COLORS = {
    "file_access": "#2563eb",
    "content_changes": "#16a34a",
    "authentication": "#f59e0b",
    "sharing": "#dc2626",
    "collaboration": "#7c3aed",
    "users_and_groups": "#0891b2",
    "security": "#111827",
    "apps_and_tokens": "#db2777",
    "governance": "#65a30d",
    "box_sign": "#ea580c",
    "tasks_and_comments": "#0d9488",
    "collections": "#a16207",
    "uncategorized": "#9ca3af",
}
"""One colour per category of the catalog (`box_event_types.category`), the same in every chart."""
PALETTE = (
    "#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777",
    "#65a30d", "#ea580c", "#4b5563", "#0d9488", "#9333ea", "#ca8a04", "#be123c",
)  # fmt: skip
HEIGHT = 360
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def label(value: Any) -> str:
    """An event-supplied value as plotly text: HTML-escaped (plotly shows `&lt;` as `<`), so a name
    like `<script>` is shown, never interpreted. None becomes `(none)`."""
    text = html.escape("(none)" if value is None else str(value), quote=False)
    # plotly decodes numeric entities and &lt; &gt; &amp;, but not &quot;: quotes as numbers
    return text.replace('"', "&#34;").replace("'", "&#39;")


def is_empty(rows: Sequence[Sequence[Any]]) -> bool:
    """No rows, or only rows whose counts (the numeric columns) are all zero."""
    return not any(
        any(isinstance(v, int | float) and not isinstance(v, bool) and v for v in row) for row in rows
    )


def _day(value: Any) -> str:
    """A day as ISO text (plotly reads it as a date; the DOM then holds the same text)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _days_axis(fig: go.Figure, span: Span) -> None:
    """A date axis of whole days; with a span, exactly those days (half a day of margin each side)."""
    fig.update_xaxes(type="date", tickformat="%d %b")
    if span is not None:
        first, last = span
        fig.update_xaxes(range=[_shift(first, -12), _shift(last, 12)])


def _shift(day: date, hours: int) -> str:
    moment = datetime(day.year, day.month, day.day) + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%d %H:%M")


def _layout(fig: go.Figure, *, height: int = HEIGHT, legend: bool = True) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        font={"family": FONT, "size": 13},
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"font": {"family": FONT}},
    )
    return fig


def daily_events_by_category(rows: Rows, *, span: Span = None) -> go.Figure:
    """Stacked bars: events per UTC day, one colour per category (`CATEGORY_COLORS`).

    rows: `(day, category, events)` (`marts.daily_events_by_category`)."""
    by_category: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for day, category, events in rows:
        name = str(category)
        by_category.setdefault(name, {})[_day(day)] = int(events)
        totals[name] = totals.get(name, 0) + int(events)
    fig = go.Figure()
    others = 0
    for name in sorted(by_category, key=lambda c: (-totals[c], c)):
        days = sorted(by_category[name])
        color = CATEGORY_COLORS.get(name)
        if color is None:
            color, others = PALETTE[others % len(PALETTE)], others + 1
        fig.add_bar(
            name=label(name),
            x=days,
            y=[by_category[name][d] for d in days],
            marker_color=color,
            hovertemplate="%{x|%a %d %b}: %{y:,} events<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.15, legend={"traceorder": "normal"})
    _days_axis(fig, span)
    fig.update_yaxes(title_text="events", tickformat=",")
    return _layout(fig, height=400)


def logins_by_hour_of_week(rows: Rows) -> go.Figure:
    """Two 7x24 heatmaps, logins above failed logins: day of the week (UTC, Monday first) by hour.

    rows: `(iso_day_of_week 1..7, hour 0..23, logins, failed_logins)` (`marts.logins_by_hour_of_week`);
    cells without a row are 0."""
    logins = [[0] * 24 for _ in WEEKDAYS]
    failed = [[0] * 24 for _ in WEEKDAYS]
    for dow, hour, n_logins, n_failed in rows:
        logins[int(dow) - 1][int(hour)] = int(n_logins)
        failed[int(dow) - 1][int(hour)] = int(n_failed)
    fig = make_subplots(
        rows=2, cols=1, subplot_titles=("Logins", "Failed logins"), vertical_spacing=0.16, shared_xaxes=False
    )
    hours = list(range(24))
    for row, (name, z, axis) in enumerate(
        (("logins", logins, "coloraxis"), ("failed logins", failed, "coloraxis2")), start=1
    ):
        fig.add_trace(
            go.Heatmap(
                name=name,
                x=hours,
                y=list(WEEKDAYS),
                z=z,
                coloraxis=axis,
                xgap=1,
                ygap=1,
                hovertemplate="%{y} %{x}:00 UTC: %{z:,}<extra>%{fullData.name}</extra>",
            ),
            row=row,
            col=1,
        )
    fig.update_layout(
        coloraxis={"colorscale": "Blues", "cmin": 0, "colorbar": {"len": 0.42, "y": 0.79}},
        coloraxis2={"colorscale": "Reds", "cmin": 0, "colorbar": {"len": 0.42, "y": 0.21}},
    )
    ticks = list(range(0, 24, 3))
    fig.update_xaxes(
        tickmode="array", tickvals=ticks, ticktext=[f"{h:02d}:00" for h in ticks], showgrid=False
    )
    fig.update_xaxes(title_text="hour of the day (UTC)", row=2, col=1)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return _layout(fig, height=460, legend=False)


def top_actors(rows: Rows) -> go.Figure:
    """Horizontal bars: the actors with the most events, the busiest on top.

    rows: `(actor, events)`, busiest first (`marts.top_actors`); `actor` is a login or a label such
    as `anonymous (shared link)`."""
    actors: list[str] = []
    counts: list[int] = []
    for actor, events in rows:
        actors.append(label(actor))
        counts.append(int(events))
    fig = go.Figure(
        go.Bar(
            name="events",
            x=counts,
            y=actors,
            orientation="h",
            marker_color=PALETTE[0],
            hovertemplate="%{y}: %{x:,} events<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text="events", tickformat=",")
    return _layout(fig, height=max(240, 28 * len(actors) + 80), legend=False)


def external_sharing_over_time(rows: Rows, *, span: Span = None) -> go.Figure:
    """Stacked bars per UTC day: links opened to anyone, and external collaborators added.

    rows: `(day, exposure, events)`, `exposure` one of `open_shared_link`, `external_collaborator`
    (`marts.external_sharing_over_time`)."""
    by_exposure: dict[str, dict[str, int]] = {}
    for day, exposure, events in rows:
        by_exposure.setdefault(str(exposure), {})[_day(day)] = int(events)
    fig = go.Figure()
    known = [e for e in EXPOSURE_NAMES if e in by_exposure]
    for i, exposure in enumerate(known + sorted(set(by_exposure) - set(known))):
        days = sorted(by_exposure[exposure])
        fig.add_bar(
            name=label(EXPOSURE_NAMES.get(exposure, exposure)),
            x=days,
            y=[by_exposure[exposure][d] for d in days],
            marker_color=("#dc2626", "#7c3aed", *PALETTE)[i],
            hovertemplate="%{x|%a %d %b}: %{y:,}<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.15, legend={"traceorder": "normal"})
    _days_axis(fig, span)
    fig.update_yaxes(title_text="events", tickformat=",", rangemode="tozero")
    return _layout(fig)


def findings_by_severity(rows: Rows) -> go.Figure:
    """Stacked bars: detection findings per severity (worst first), one colour per triage status.

    rows: `(severity, status, findings)` (`marts.findings_by_severity`)."""
    counts: dict[str, dict[str, int]] = {}
    severities: list[str] = []
    for severity, status, findings in rows:
        sev = label(severity)
        if sev not in severities:
            severities.append(sev)
        counts.setdefault(label(status), {})[sev] = counts.get(label(status), {}).get(sev, 0) + int(findings)
    order = [s for s in SEVERITIES if s in severities] + sorted(set(severities) - set(SEVERITIES))
    statuses = [s for s in STATUS_ORDER if s in counts] + sorted(set(counts) - set(STATUS_ORDER))
    colors = {"new": "#dc2626", "acknowledged": "#f59e0b", "suppressed": "#9ca3af", "resolved": "#16a34a"}
    fig = go.Figure()
    for i, status in enumerate(statuses):
        present = [s for s in order if s in counts[status]]
        fig.add_bar(
            name=status,
            x=present,
            y=[counts[status][s] for s in present],
            marker_color=colors.get(status, PALETTE[i % len(PALETTE)]),
            hovertemplate="%{x}: %{y:,}<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    fig.update_yaxes(title_text="findings", tickformat=",", rangemode="tozero")
    return _layout(fig, height=320)
