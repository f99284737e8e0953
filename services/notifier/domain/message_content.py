"""What a digest says, channel-neutral: a headline and one line set per item, worst first.

Slack blocks, the email parts and the webhook body are all rendered from this, so the three
channels never disagree about what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.notifier.domain.change import Change
from shared.events import RiskLevel

LEVEL_WORDS = {
    RiskLevel.ON_TRACK: "back on track",
    RiskLevel.AT_RISK: "at risk",
    RiskLevel.OFF_TRACK: "off track",
}


@dataclass(frozen=True)
class ItemSummary:
    item_id: str
    title: str
    level: RiskLevel
    dates: str | None
    why: tuple[str, ...]
    chain: tuple[str, ...]
    link: str | None


def link_for(item_id: str) -> str | None:
    """Back to the tool; only GitHub ids carry enough to build a URL without a configured base."""
    tool, _, rest = item_id.partition(":")
    repo, _, number = rest.partition("#")
    if tool == "github" and repo and number.isdigit():
        return f"https://github.com/{repo}/issues/{number}"
    return None


def dates_line(change: Change) -> str | None:
    if change.forecast is None or change.target is None:
        return None
    late = f" ({change.slip_days} days late)" if change.slip_days > 0 else ""
    return f"forecast {change.forecast.isoformat()} vs target {change.target.isoformat()}{late}"


def summarise(change: Change) -> ItemSummary:
    return ItemSummary(
        item_id=change.item_id,
        title=change.title or change.item_id,
        level=change.level,
        dates=dates_line(change),
        why=change.reasons,
        chain=change.chain,
        link=link_for(change.item_id),
    )


def headline(changes: Sequence[Change]) -> str:
    if len(changes) == 1:
        only = changes[0]
        return f"{only.title or only.item_id} is {LEVEL_WORDS[only.level]}"
    worst = sum(1 for c in changes if c.level is RiskLevel.OFF_TRACK)
    return f"{len(changes)} items changed delivery risk ({worst} off track)"
