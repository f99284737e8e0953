"""What a digest says, channel-neutral: a headline and one line set per entry, worst first.

Slack blocks, the email parts and the webhook body are all rendered from this, so the three
channels never disagree about what happened. Each kind (risk, release, demand surge,
closable loop) says what happened in its own words; the rest of an entry is shared.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from services.notifier.domain.change import Change
from shared.events import RiskLevel

LEVEL_WORDS = {
    RiskLevel.ON_TRACK: "back on track",
    RiskLevel.AT_RISK: "at risk",
    RiskLevel.OFF_TRACK: "off track",
}
RELATED_LABEL = {"release": "Threatened by", "loop_closable": "Waiting"}
KIND_NOUNS = {
    "risk": ("risk change", "risk changes"),
    "release": ("release", "releases"),
    "demand_surge": ("demand surge", "demand surges"),
    "loop_closable": ("loop to close", "loops to close"),
}
GITHUB_ISSUE = re.compile(r"^github:([\w.-]+/[\w.-]+)#(\d+)$")
GITHUB_MILESTONE = re.compile(r"^github:([\w.-]+/[\w.-]+)/milestone/(\d+)$")


@dataclass(frozen=True)
class ItemSummary:
    item_id: str
    title: str
    status: str
    level: RiskLevel
    dates: str | None
    waiting: str | None
    why: tuple[str, ...]
    chain: tuple[str, ...]
    related_label: str | None
    related: tuple[str, ...]
    link: str | None
    # Its explanation on the dashboard (chain, who waits, history), when one is configured.
    explained: str | None = None
    # Each chain member's page on the dashboard, beside ``chain`` (empty without one).
    chain_pages: tuple[str, ...] = ()


def link_for(item_id: str, url: str | None = None) -> str | None:
    """Back to the tool: the URL the event carried, else one built from a GitHub id (a Jira
    or Linear key names no site or workspace, so those need the event's URL)."""
    if url:
        return url
    if issue := GITHUB_ISSUE.match(item_id):
        return f"https://github.com/{issue[1]}/issues/{issue[2]}"
    if milestone := GITHUB_MILESTONE.match(item_id):
        return f"https://github.com/{milestone[1]}/milestone/{milestone[2]}"
    return None


def status_of(change: Change) -> str:
    if change.kind == "release":
        slipping = change.level is RiskLevel.OFF_TRACK
        return "is slipping past its date" if slipping else "is back within its date"
    if change.kind == "demand_surge":
        return "has a surge of customer demand"
    if change.kind == "loop_closable":
        return "can close the loop with its customers"
    return f"is {LEVEL_WORDS[change.level]}"


def dates_line(change: Change) -> str | None:
    if change.forecast is None or change.target is None:
        return None
    late = f" ({change.slip_days} days late)" if change.slip_days > 0 else ""
    return f"forecast {change.forecast.isoformat()} vs target {change.target.isoformat()}{late}"


def waiting_line(change: Change) -> str | None:
    """Who waits on the item: the first thing an owner weighing several needs."""
    if not change.customers:
        return None
    people = f"{change.customers} customer{'s' if change.customers != 1 else ''}"
    if change.organisations and change.customers > 1:
        people += f" from {change.organisations} organisation"
        people += "s" if change.organisations != 1 else ""
    return f"{people} {'is' if change.customers == 1 else 'are'} waiting on it"


def explained_at(change: Change, dashboard: str | None) -> str | None:
    """The dashboard's page for the change: a release's on the releases view, else the item's."""
    if not dashboard:
        return None
    if change.kind == "release":
        return f"{dashboard.rstrip('/')}/#/releases"
    return item_page(dashboard, change.item_id)


def item_page(dashboard: str, item_id: str) -> str:
    return f"{dashboard.rstrip('/')}/#/item/{quote(item_id, safe='')}"


def chain_pages(change: Change, dashboard: str | None) -> tuple[str, ...]:
    """Where to follow each member of the critical chain: its own explanation, whose chain
    goes on from there (a chain written before ids travelled with it links nowhere)."""
    if not dashboard or len(change.chain_ids) != len(change.chain):
        return ()
    return tuple(item_page(dashboard, item_id) for item_id in change.chain_ids)


def chain_links(item: ItemSummary) -> list[tuple[str, str | None]]:
    """Each chain member's name and its page to follow (None without a dashboard)."""
    pages: tuple[str | None, ...] = item.chain_pages or (None,) * len(item.chain)
    return list(zip(item.chain, pages, strict=True))


def summarise(change: Change, dashboard: str | None = None) -> ItemSummary:
    prefix = "Release " if change.kind == "release" else ""
    return ItemSummary(
        item_id=change.item_id,
        title=prefix + (change.title or change.item_id),
        status=status_of(change),
        level=change.level,
        dates=dates_line(change),
        waiting=waiting_line(change),
        why=change.reasons,
        chain=change.chain,
        related_label=RELATED_LABEL.get(change.kind) if change.related else None,
        related=change.related,
        link=link_for(change.item_id, change.url),
        explained=explained_at(change, dashboard),
        chain_pages=chain_pages(change, dashboard),
    )


def headline(changes: Sequence[Change]) -> str:
    if len(changes) == 1:
        only = summarise(changes[0])
        return f"{only.title} {only.status}"
    kinds = sorted({c.kind for c in changes}, key=list(KIND_NOUNS).index)
    if kinds == ["risk"]:
        worst = sum(1 for c in changes if c.level is RiskLevel.OFF_TRACK)
        return f"{len(changes)} items changed delivery risk ({worst} off track)"
    counts = [(k, sum(1 for c in changes if c.kind == k)) for k in kinds]
    parts = [f"{n} {KIND_NOUNS[k][n != 1]}" for k, n in counts]
    return f"{len(changes)} updates: " + ", ".join(parts)
