"""The weekly report as Markdown or HTML: the same sections, tables and words in both.

``sections`` turns the figures into titled tables once; each format only lays them out. HTML
adds two inline SVG charts (drawn in ``report_charts``); Markdown embeds nothing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from services.scheduler.report_charts import at_risk_chart, release_chart
from services.scheduler.report_figures import WeeklyReport
from shared.events import named


@dataclass(frozen=True)
class Section:
    title: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    empty: str


def day(moment: datetime | None) -> str:
    return "-" if moment is None else moment.date().isoformat()


def signed(days: int) -> str:
    return f"{days:+d}d" if days else "0d"


def sections(report: WeeklyReport) -> list[Section]:
    releases = [
        (r.name, day(r.due), day(r.forecast), signed(r.slip_days), signed(r.moved_days))
        for r in report.releases
    ]
    newly = [
        (d["_id"], d.get("title") or "", d.get("level", ""), f"{d.get('slip_days') or 0}d")
        for d in report.newly_at_risk
    ]
    recovered = [(d["_id"], d.get("title") or "", d.get("level", "")) for d in report.recovered]
    chains = [
        (
            c.item_id,
            signed(c.slip_days),
            " → ".join(named(m, c.titles) for m in c.members),
            named(c.root_cause, c.titles),
            c.why,
        )
        for c in report.chains
    ]
    demand = [
        (w.item_id, w.title or "", str(w.customers), f"{w.weight:g}", w.level, day(w.forecast))
        for w in report.demand
    ]
    return [
        Section(
            "Releases: forecast vs target",
            ("release", "due", "forecast", "late by", "moved this period"),
            releases,
            "No open releases.",
        ),
        Section("Newly at risk", ("item", "title", "level", "slip"), newly, "None."),
        Section("Recovered", ("item", "title", "level now"), recovered, "None."),
        Section(
            "Longest slipping chains",
            ("item", "slip", "chain (each waits on the next)", "root cause", "why"),
            chains,
            "Nothing is slipping.",
        ),
        Section(
            "Where customer demand waits",
            ("item", "title", "customers", "weight", "level", "forecast"),
            demand,
            "No customer demand recorded.",
        ),
    ]


def heading(report: WeeklyReport) -> str:
    return f"Slipstream weekly status, {day(report.since)} to {day(report.until)}"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: WeeklyReport) -> str:
    lines = [f"# {heading(report)}", ""]
    for section in sections(report):
        lines += [f"## {section.title}", ""]
        if not section.rows:
            lines += [section.empty, ""]
            continue
        lines.append("| " + " | ".join(section.headers) + " |")
        lines.append("|" + " --- |" * len(section.headers))
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in section.rows]
        lines.append("")
    return "\n".join(lines)


STYLE = """
body { font: 11pt/1.35 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 16pt; } h2 { font-size: 12.5pt; margin: 1em 0 .3em; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
th, td { border-bottom: 1px solid #ddd; padding: .2em .4em; text-align: left; }
.charts { display: flex; gap: 1.5em; flex-wrap: wrap; }
@page { size: A4; margin: 12mm; }
"""


def style_hash() -> str:
    """The report's own ``<style>`` block by hash, for the scheduler's Content-Security-Policy
    (which allows no inline style but the blocks it lists): without it a browser shows the
    report unstyled, though a PDF printed from the file looks right."""
    return "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


def html_table(section: Section) -> str:
    if not section.rows:
        return f"<p>{escape(section.empty)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in section.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in section.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(report: WeeklyReport) -> str:
    title = escape(heading(report))
    parts = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>',
        '<link rel="icon" href="data:,">',  # no icon to fetch: the page stands alone
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>",
        f'<div class="charts">{release_chart(report.releases)}',
        f"{at_risk_chart(report.at_risk_by_day)}</div>",
    ]
    for section in sections(report):
        parts.append(f"<h2>{escape(section.title)}</h2>{html_table(section)}")
    parts.append("</body></html>")
    return "\n".join(parts)
