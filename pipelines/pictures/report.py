"""`boxevents report`: one self-contained HTML page of the last N days, readable offline.

What the page holds, top to bottom: a title with the report's UTC days and when it was generated;
four headline numbers (events, active users, external shares, open findings); coverage and
freshness (`pipelines.status`: covered ranges, gaps, the newest event's age, and how much of the
report's days the warehouse covers); daily events by category; logins and failed logins by hour
of the week; top actors; external sharing over time; what is exposed now (open shared links and
external collaborators, from the `cur_*` tables); detections by severity and the newest findings.

How it is built: `marts` runs a handful of aggregating queries (one SQL client, DuckDB or
PostgreSQL), `figures` turns their rows into plotly figures, and this module writes the page.
plotly.js is inlined once, in the head (`plotly.offline.get_plotlyjs()`, shipped in plotly's
wheel); each chart is a `<div>` and a call to `Plotly.newPlot`. Nothing is fetched: no CDN, no
`src` or `href` pointing anywhere, and a Content-Security-Policy that forbids any request, so the
page opens from a file, a mail attachment or an air-gapped laptop.

Everything taken from the warehouse is attacker-controlled (an item can be named `<script>`):
every value written into the HTML goes through `html.escape`, chart labels are escaped by
`figures.label`, and plotly's JSON escapes `<` inside its script. A section with nothing to show
says so in a sentence ("no detections in the last 30 days") instead of drawing an empty chart.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import dlt
import plotly.graph_objects as go
import plotly.offline

from ..box_events.exceptions import ConfigurationError
from ..box_events.windows import Window
from ..files import write_atomically
from ..status import StatusReport, status
from ..wording import human_duration, plural
from . import figures, marts

DEFAULT_DAYS = 30
CHART_CONFIG = {
    "displayModeBar": False,  # a page to read: hover shows the numbers, drag zooms, double-click resets
    "displaylogo": False,  # the logo is a link to plotly's site
    "responsive": True,
}
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)
"""Inline script and style only (plotly.js draws these charts without `eval`), and no request of
any kind: not a script, a font, an image from elsewhere, nor a fetch."""
RANGES_SHOWN = 8
"""Covered ranges and gaps listed (the newest); the rest are counted."""


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, read from the warehouse in one go (small row sets only)."""

    days: marts.Days
    generated_at: datetime
    status: StatusReport
    headline: dict[str, int]
    daily_events: list[marts.Row]
    logins: list[marts.Row]
    actors: list[marts.Row]
    sharing: list[marts.Row]
    findings: list[marts.Row]
    newest_findings: list[marts.Row]
    exposure: marts.Exposure


def read_report(
    pipeline: dlt.Pipeline, *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> ReportData:
    """Run the report's queries: `days` UTC days ending today (the day of `now`). A warehouse that is
    not there, or has no marts yet, is a `ConfigurationError` (one line, nothing created)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    span = marts.Days.ending(now, days)
    with marts.connect(pipeline):  # first refuse a missing warehouse, or one not transformed yet
        pass
    facts = status(pipeline, now=now)  # its own connections, closed before the read-only session
    with marts.connect(pipeline) as execute:
        return ReportData(
            days=span,
            generated_at=now,
            status=facts,
            headline=marts.headline(execute, span),
            daily_events=marts.daily_events_by_category(execute, span),
            logins=marts.logins_by_hour_of_week(execute, span),
            actors=marts.top_actors(execute, span),
            sharing=marts.external_sharing_over_time(execute, span),
            findings=marts.findings_by_severity(execute, span),
            newest_findings=marts.newest_findings(execute, span),
            exposure=marts.exposure_now(execute),
        )


def write_report(
    pipeline: dlt.Pipeline,
    *,
    days: int = DEFAULT_DAYS,
    out: Path = Path("report.html"),
    now: datetime | None = None,
) -> Path:
    """Write the report of the last `days` UTC days to `out` (replaced whole: a reader never sees a
    half-written page); returns its absolute path."""
    out = Path(out).resolve()
    if not out.parent.is_dir():
        raise ConfigurationError(f"the folder of --out {out} does not exist: create it or pass another --out")
    page = render(read_report(pipeline, days=days, now=now))
    write_atomically(out, page)
    return out


# ---------------------------------------------------------------------- the page
def e(value: Any) -> str:
    """Any value as HTML text, escaped (quotes too, so it is safe in an attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def render(data: ReportData) -> str:
    """The whole page as one string."""
    period = _period_words(data.days)
    title = f"Box audit report, {_day_range(data.days)}"
    body = "\n".join(
        [
            _header(data),
            _headlines(data),
            _coverage_section(data),
            _chart_section(
                "daily-events",
                "Daily events by category",
                data.daily_events,
                partial(figures.daily_events_by_category, span=(data.days.first, data.days.last)),
                "Every event the warehouse holds, per UTC day, stacked by category "
                "(authentication, file access, sharing, …).",
                f"no events in {period}",
            ),
            _chart_section(
                "logins",
                "Logins and failed logins by hour of the week",
                data.logins,
                figures.logins_by_hour_of_week,
                "When people sign in, by day of the week and hour (UTC), summed over the period; failed "
                "logins below, on their own scale, so a burst at an odd hour stands out.",
                f"no logins or failed logins in {period}",
            ),
            _chart_section(
                "top-actors",
                "Top actors",
                data.actors,
                figures.top_actors,
                f"The {plural(marts.TOP_ACTORS, 'account')} with the most events in the period, busiest "
                "on top (anonymous shared-link visitors count as one).",
                f"no one did anything in {period}",
            ),
            _chart_section(
                "external-sharing",
                "External sharing over time",
                data.sharing,
                partial(figures.external_sharing_over_time, span=(data.days.first, data.days.last)),
                "Per UTC day, the links opened to anyone and the people outside the company invited "
                "to collaborate: each is content leaving the company's control.",
                f"no links opened to anyone and no external collaborators added in {period}",
            ),
            _exposure_section(data.exposure),
            _detections_section(data, period),
            _footer(),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{e(title)}</title>\n<style>{STYLE}</style>\n"
        f"<script>{plotly.offline.get_plotlyjs()}</script>\n"
        f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _header(data: ReportData) -> str:
    warehouse = data.status.warehouse
    where = ", ".join(f"{k} {v}" for k, v in warehouse.items())
    return (
        "<header>\n<h1>Box audit report</h1>\n"
        f'<p class="range" id="report-range">{e(_day_range(data.days))} '
        f"<span>({e(plural(data.days.count, 'day'))}, UTC)</span></p>\n"
        f'<p class="meta">Generated <time id="generated-at" datetime="{e(data.generated_at.isoformat())}">'
        f"{e(_when(data.generated_at))}</time> from {e(where)}.</p>\n</header>"
    )


HEADLINES = (
    ("events", "events", "everything Box recorded in the period"),
    ("users", "active users", "accounts that did something (anonymous visitors not counted)"),
    ("external_shares", "external shares", "links opened to anyone, external collaborators added"),
    ("open_findings", "open findings", "detections not yet acknowledged, suppressed or resolved"),
)


def _headlines(data: ReportData) -> str:
    cards = []
    for key, name, hint in HEADLINES:
        value = data.headline[key]
        alert = " alert" if key == "open_findings" and value else ""
        cards.append(
            f'<div class="card{alert}" data-key="{e(key)}" data-value="{e(value)}">'
            f'<div class="value">{e(f"{value:,}")}</div><div class="name">{e(name)}</div>'
            f'<div class="hint">{e(hint)}</div></div>'
        )
    return '<section class="headlines" id="headlines">\n' + "\n".join(cards) + "\n</section>"


def _coverage_section(data: ReportData) -> str:
    report = data.status
    facts: list[tuple[str, str, str]] = []  # (name, text, tone)
    if report.covered_to is None:
        facts.append(("covered to", "nothing is covered yet (run `boxevents backfill`)", "bad"))
    else:
        age = human_duration((report.now - report.covered_to).total_seconds())
        facts.append(("covered to", f"{_when(report.covered_to)} ({age} ago)", ""))
    if report.newest_event is not None and report.newest_event_age is not None:
        age = human_duration(report.newest_event_age.total_seconds())
        facts.append(("newest event", f"{_when(report.newest_event)} ({age} ago)", ""))
    else:
        facts.append(("newest event", "none loaded yet", "bad"))
    share = _covered_share(report.covered, data.days)
    facts.append(
        (
            "this report's days",
            f"{share:.0%} covered by the warehouse's complete record",
            "good" if share >= 0.999 else "warn",
        )
    )
    facts.append(
        ("gaps", "none" if not report.gaps else plural(len(report.gaps), "range") + " not covered",
         "good" if not report.gaps else "bad")
    )  # fmt: skip
    facts.append(("events loaded", f"{report.total_rows:,} in total, all time", ""))
    rows = "\n".join(
        f'<tr class="{e(tone)}"><th scope="row">{e(name)}</th><td>{e(text)}</td></tr>'
        for name, text, tone in facts
    )
    lists = _ranges_list("Covered ranges", report.covered, "covered")
    if report.gaps:
        lists += _ranges_list("Gaps (run `boxevents backfill` over them)", report.gaps, "gaps")
    return (
        '<section id="coverage">\n<h2>Coverage and freshness</h2>\n'
        '<p class="caption">What the warehouse holds for certain: the ranges Box\'s complete record '
        "(admin_logs) was read for, the holes between them, and how old the newest event is. Numbers "
        "below are only as complete as this coverage.</p>\n"
        f'<div class="columns"><table class="facts">\n{rows}\n</table>\n{lists}</div>\n</section>'
    )


def _ranges_list(title: str, ranges: list[Window], key: str) -> str:
    newest = ranges[-RANGES_SHOWN:][::-1]
    items = "".join(f"<li>{e(_range(w))}</li>" for w in newest)
    more = len(ranges) - len(newest)
    if more:
        items += f'<li class="muted">… and {e(plural(more, "older range"))}</li>'
    if not ranges:
        items = '<li class="muted">none</li>'
    return f'<div class="ranges" id="{e(key)}"><h3>{e(title)}</h3><ul>{items}</ul></div>'


def _covered_share(covered: list[Window], days: marts.Days) -> float:
    """The share of the report's days inside the covered ranges (a handful of ranges, in Python)."""
    start = datetime.combine(days.first, datetime.min.time(), UTC)
    end = datetime.combine(days.last + timedelta(days=1), datetime.min.time(), UTC)
    inside = sum(
        (
            max(timedelta(0), min(end, w.end.astimezone(UTC)) - max(start, w.start.astimezone(UTC)))
            for w in covered
        ),
        timedelta(0),
    )
    return inside / (end - start)


def _chart_section(
    key: str,
    title: str,
    rows: Sequence[marts.Row],
    build: Callable[[Sequence[marts.Row]], go.Figure],
    caption: str,
    empty: str,
) -> str:
    return (
        f'<section id="{e(key)}">\n<h2>{e(title)}</h2>\n'
        f"{_chart(key, rows, build, empty)}\n"
        f'<p class="caption">{e(caption)}</p>\n</section>'
    )


def _chart(key: str, rows: Sequence[marts.Row], build: Callable[..., go.Figure], empty: str) -> str:
    if figures.is_empty(rows):
        return f'<p class="empty" data-empty="{e(key)}">{e(empty[:1].upper() + empty[1:])}.</p>'
    fig = build(rows)
    div = fig.to_html(
        include_plotlyjs=False, full_html=False, div_id=f"chart-{key}", config=CHART_CONFIG, validate=True
    )
    return f'<div class="chart" data-chart="{e(key)}">{div}</div>'


def _exposure_section(exposure: marts.Exposure) -> str:
    links = (
        _table(
            ("item", "type", "owner", "opened by", "changed", "expires"),
            exposure.open_links_newest,
            total=exposure.open_links,
            key="open-links",
        )
        if exposure.open_links
        else '<p class="empty" data-empty="open-links">No shared links are open to anyone now.</p>'
    )
    collaborations = (
        _table(
            ("collaborator", "domain", "item", "role", "invited by", "changed", "expires"),
            exposure.collaborations_newest,
            total=exposure.external_collaborations,
            key="external-collaborations",
        )
        + _table(("domain", "people", "items"), exposure.by_domain, key="external-domains")
        if exposure.external_collaborations
        else '<p class="empty" data-empty="external-collaborations">No external collaborators have access '
        "now.</p>"
    )
    summary = (
        f'<p class="lead" id="exposure-summary"><strong data-value="{exposure.open_links}">'
        f"{e(plural(exposure.open_links, 'item'))}</strong> open to anyone with the link; "
        f'<strong data-value="{exposure.external_collaborators}">'
        f"{e(plural(exposure.external_collaborators, 'external person', 'external people'))}</strong> "
        f"from {e(plural(exposure.external_domains, 'domain'))} with access to "
        f"{e(plural(exposure.external_collaborations, 'item', 'items'))} "
        "(counted per item and person).</p>"
    )
    return (
        '<section id="exposure">\n<h2>What is exposed now</h2>\n'
        f"{summary}\n"
        '<p class="caption">Current state, whatever the period: links that anyone can open and outside '
        "collaborators who can reach content, net of unshares, expiries and removals (the cur_* "
        "tables), the most recently changed first.</p>\n"
        f"<h3>Shared links open to anyone</h3>\n{links}\n<h3>External collaborators</h3>\n{collaborations}\n"
        "</section>"
    )


def _detections_section(data: ReportData, period: str) -> str:
    if figures.is_empty(data.findings):
        inner = f'<p class="empty" data-empty="detections">No detections in {e(period)}.</p>'
    else:
        chart = _chart("detections", data.findings, figures.findings_by_severity, "")
        table = _table(
            ("last seen", "severity", "status", "rule", "actor", "summary"),
            data.newest_findings,
            total=sum(int(n) for *_, n in data.findings),
            key="newest-findings",
            severity_column=1,
        )
        inner = (
            f"{chart}\n"
            '<p class="caption">Findings of the detection rules whose day is in the period, per severity '
            "(worst first), coloured by triage status; below, the newest first. Triage them with "
            "<code>boxevents detections</code>.</p>\n"
            f"<h3>Newest findings</h3>\n{table}"
        )
    return f'<section id="detections">\n<h2>Detections</h2>\n{inner}\n</section>'


def _table(
    header: Sequence[str],
    rows: Sequence[marts.Row],
    *,
    key: str,
    total: int | None = None,
    severity_column: int | None = None,
) -> str:
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in header)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = _cell(value)
            kind = "time" if isinstance(value, datetime) else "num" if isinstance(value, int) else ""
            attribute = f' class="{kind}"' if kind else ""
            if i == severity_column:
                cells.append(f'<td><span class="sev sev-{e(value)}">{e(text)}</span></td>')
            else:
                cells.append(f"<td{attribute}>{e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = ""
    if total is not None and total > len(rows):
        note = f'<p class="muted">The newest {len(rows):,} of {total:,}.</p>'
    return (
        f'<div class="table-wrap"><table class="rows" data-table="{e(key)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{note}"
    )


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return _when(value, seconds=False)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _footer() -> str:
    return (
        "<footer><p>Built by <code>boxevents report</code> from the warehouse's marts; all times UTC. "
        "The page needs no network: charts are drawn by plotly.js, inlined above.</p></footer>"
    )


def _period_words(days: marts.Days) -> str:
    return "today" if days.count == 1 else f"the last {days.count} days"


def _day_range(days: marts.Days) -> str:
    def day(d: date) -> str:
        return f"{d.day} {d:%b %Y}"

    if days.first == days.last:
        return day(days.first)
    if days.first.year == days.last.year:
        first = f"{days.first.day} {days.first:%b}"
        return f"{first} – {day(days.last)}"
    return f"{day(days.first)} – {day(days.last)}"


def _utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _when(moment: datetime, *, seconds: bool = False) -> str:
    return f"{_utc(moment):%Y-%m-%d %H:%M{':%S' if seconds else ''}} UTC"


def _range(window: Window) -> str:
    return f"{_utc(window.start):%Y-%m-%d %H:%M} → {_when(window.end)}"


STYLE = """
:root { --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; --card: #ffffff;
  --good: #15803d; --warn: #b45309; --bad: #b91c1c; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 40px; }
header h1 { margin: 0; font-size: 28px; letter-spacing: -0.01em; }
header .range { margin: 4px 0 0; font-size: 20px; font-weight: 600; color: var(--accent); }
header .range span { font-weight: 400; color: var(--muted); font-size: 15px; }
header .meta { margin: 4px 0 0; color: var(--muted); font-size: 13px; word-break: break-all; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 22px; margin-top: 18px; }
section h2 { margin: 0 0 8px; font-size: 19px; }
section h3 { margin: 16px 0 6px; font-size: 15px; }
.headlines { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; background: none;
  border: 0; padding: 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.card .value { font-size: 30px; font-weight: 700; font-variant-numeric: tabular-nums; }
.card .name { font-weight: 600; }
.card .hint { color: var(--muted); font-size: 12px; }
.card.alert .value { color: var(--bad); }
.caption { color: var(--muted); margin: 6px 0 0; font-size: 14px; }
.lead { margin: 0 0 4px; }
.empty { margin: 10px 0; padding: 18px; border: 1px dashed var(--line); border-radius: 8px;
  color: var(--muted); text-align: center; background: var(--bg); }
.muted { color: var(--muted); font-size: 13px; }
.columns { display: flex; gap: 28px; flex-wrap: wrap; align-items: flex-start; margin-top: 10px; }
.facts th { text-align: left; padding: 3px 16px 3px 0; font-weight: 600; white-space: nowrap; }
.facts td { padding: 3px 0; }
.facts tr.good td { color: var(--good); } .facts tr.warn td { color: var(--warn); }
.facts tr.bad td { color: var(--bad); font-weight: 600; }
.ranges h3 { margin: 0 0 4px; } .ranges ul { margin: 0; padding-left: 18px; font-size: 13px;
  font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
table.rows { border-collapse: collapse; width: 100%; font-size: 13px; }
table.rows th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line);
  padding: 6px 8px; white-space: nowrap; }
table.rows td { padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top;
  overflow-wrap: break-word; }
table.rows td.time, table.rows td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
table.rows tbody tr:nth-child(even) { background: #fafafa; }
.sev { display: inline-block; white-space: nowrap; padding: 0 8px; border-radius: 10px; color: #fff;
  font-size: 12px; background: #9ca3af; }
.sev-critical { background: #7f1d1d; } .sev-high { background: #dc2626; }
.sev-medium { background: #d97706; } .sev-low { background: #3b82f6; }
code { font-size: 13px; background: #f1f5f9; padding: 1px 4px; border-radius: 4px; }
footer { color: var(--muted); font-size: 12px; margin-top: 18px; text-align: center; }
@media (max-width: 800px) { .headlines { grid-template-columns: repeat(2, 1fr); } }
"""
