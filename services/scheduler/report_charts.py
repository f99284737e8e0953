"""Two small inline SVG charts for the HTML report, drawn from the figures (no JavaScript).

Plain SVG keeps the page self-contained for e-mail and for printing to PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from services.scheduler.report_figures import ReleaseLine

WIDTH, ROW, LABEL = 360, 22, 120
COLOURS = {"late": "#c0392b", "early": "#27ae60", "before": "#bbb"}


def svg(height: int, title: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}"><title>{escape(title)}</title>'
        f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>{body}</svg>'
    )


def release_chart(releases: Sequence[ReleaseLine]) -> str:
    """Days late per release now (coloured) over where it stood at the period's start (grey)."""
    if not releases:
        return ""
    scale = max(1, *(abs(r.slip_days) for r in releases), *(abs(r.moved_days) for r in releases))
    unit = (WIDTH - LABEL - 50) / (2 * scale)
    middle = LABEL + (WIDTH - LABEL - 50) / 2
    bars = []
    for n, line in enumerate(releases):
        y = 24 + n * ROW
        before = line.slip_days - line.moved_days
        colour = COLOURS["late" if line.slip_days > 0 else "early"]
        for days, fill, thickness in ((before, COLOURS["before"], 14), (line.slip_days, colour, 8)):
            x, w = (middle, days * unit) if days >= 0 else (middle + days * unit, -days * unit)
            top = y + (14 - thickness) / 2
            bars.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{w:.1f}" height="{thickness}" '
                f'fill="{fill}"/>'
            )
        bars.append(f'<text x="0" y="{y + 11}" font-size="10">{escape(line.name[:18])}</text>')
        bars.append(
            f'<text x="{WIDTH - 45}" y="{y + 11}" font-size="10">{line.slip_days:+d}d</text>'
        )
    height = 30 + len(releases) * ROW
    axis = f'<line x1="{middle:.1f}" y1="20" x2="{middle:.1f}" y2="{height - 4}" stroke="#555"/>'
    return svg(height, "Release forecast vs target (days late)", axis + "".join(bars))


def at_risk_chart(points: Sequence[tuple[datetime, int]]) -> str:
    """Items at risk at the end of each day of the period, as a line."""
    if not points:
        return ""
    height, top, bottom = 150, 24, 130
    most = max(1, *(count for _, count in points))
    step = (WIDTH - 60) / max(1, len(points) - 1)
    coords = [
        (30 + n * step, bottom - count * (bottom - top) / most)
        for n, (_, count) in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#c0392b"/>' for x, y in coords)
    labels = "".join(
        f'<text x="{x - 12:.1f}" y="{bottom + 14}" font-size="9">{moment:%m-%d}</text>'
        for (x, _), (moment, _) in zip(coords, points, strict=True)
    )
    body = (
        f'<text x="0" y="{top + 8}" font-size="9">{most}</text>'
        f'<text x="0" y="{bottom}" font-size="9">0</text>'
        f'<polyline points="{line}" fill="none" stroke="#c0392b" stroke-width="2"/>{dots}{labels}'
    )
    return svg(height, "Items at risk, day by day", body)
