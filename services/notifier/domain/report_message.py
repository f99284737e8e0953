"""The weekly report as each channel carries it: Slack a summary and a link, email the HTML
report with its Markdown as the plain part, a webhook the report's JSON."""

from __future__ import annotations

from typing import Any

from services.notifier.domain.people import ChannelKind
from services.notifier.domain.slack_blocks import MAX_SECTION_TEXT, clip

TITLE = "Weekly delivery report"


def summary(report: dict[str, Any]) -> str:
    releases = report.get("releases", [])
    # ISO instants in one zone compare as text; a release without both dates is not slipping.
    slipping = sum(
        1 for r in releases if r.get("forecast") and r.get("due") and r["forecast"] > r["due"]
    )
    parts = [
        f"{len(releases)} releases ({slipping} slipping)",
        f"{len(report.get('newly_at_risk', []))} items newly at risk",
        f"{len(report.get('recovered', []))} recovered",
    ]
    waiting = len(report.get("demand", []))
    return ", ".join(parts) + (f", {waiting} with customers waiting" if waiting else "")


def report_payload(
    channel: ChannelKind, report: dict[str, Any], html: str, markdown: str, link: str
) -> dict[str, Any]:
    if channel is ChannelKind.SLACK:
        text = clip(f"{summary(report)}\n<{link}|Open the report>", MAX_SECTION_TEXT)
        blocks = [
            {"type": "header", "text": {"type": "plain_text", "text": TITLE}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        ]
        return {"text": f"{TITLE}: {summary(report)}", "blocks": blocks}
    if channel is ChannelKind.EMAIL:
        return {"subject": f"[Slipstream] {TITLE}", "plain": markdown, "html": html}
    return {"type": "notify.report", "data": report}
