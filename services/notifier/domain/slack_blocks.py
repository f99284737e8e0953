"""A digest as a Slack Block Kit message, kept inside Slack's limits.

Slack rejects a message with more than 50 blocks, a section text over 3000 characters or a
header over 150; items that do not fit are counted in a closing line instead of being lost
silently (the full list is in the notification log).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.notifier.domain.change import Change
from services.notifier.domain.message_content import (
    ItemSummary,
    chain_links,
    headline,
    summarise,
)

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
BLOCKS_PER_ITEM = 2  # a section and a context line


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str) -> str:
    """Text from a tracker or a customer, made inert for Slack's mrkdwn: an issue titled
    ``<!channel>`` would otherwise notify the whole channel, and ``<url|x>`` disguise a link.
    Slack asks for exactly these three to be escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link_target(url: str) -> str:
    """A URL inside ``<url|text>``: a ``|`` in it would end the URL and start the label."""
    return mrkdwn(url).replace("|", "%7C")


def item_blocks(item: ItemSummary) -> list[dict[str, Any]]:
    lines = [f"*{mrkdwn(item.title)}* {mrkdwn(item.status)}"]
    if item.dates:
        lines.append(mrkdwn(item.dates))
    if item.waiting:
        lines.append(f"*{mrkdwn(item.waiting)}*")
    if item.why:
        lines.append("*Why:* " + "; ".join(map(mrkdwn, item.why)))
    if item.chain:
        members = [
            f"<{link_target(page)}|{mrkdwn(name)}>" if page else mrkdwn(name)
            for name, page in chain_links(item)
        ]
        lines.append("*Critical chain:* " + " → ".join(members))
    if item.related:
        label = mrkdwn(item.related_label or "")
        lines += [f"*{label}:*"] + [f"• {mrkdwn(entry)}" for entry in item.related]
    section = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": clip("\n".join(lines), MAX_SECTION_TEXT)},
    }
    name = mrkdwn(item.item_id)
    where = f"<{link_target(item.link)}|{name}>" if item.link else name
    if item.explained:
        where += f" · <{link_target(item.explained)}|Why, in Slipstream>"
    context = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip(where, MAX_SECTION_TEXT)}],
    }
    return [section, context]


def slack_message(changes: Sequence[Change], dashboard: str | None = None) -> dict[str, Any]:
    title = headline(changes)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(title, MAX_HEADER_TEXT)}}
    ]
    room = (MAX_BLOCKS - len(blocks) - 1) // BLOCKS_PER_ITEM  # keep one for "and N more"
    fits = changes if len(changes) * BLOCKS_PER_ITEM <= MAX_BLOCKS - 1 else changes[:room]
    for change in fits:
        blocks += item_blocks(summarise(change, dashboard))
    if len(fits) < len(changes):
        more = f"…and {len(changes) - len(fits)} more; see GET /notifications for the full list"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": more}})
    # The header is plain_text, shown as written; the fallback ``text`` is mrkdwn.
    return {"text": mrkdwn(title), "blocks": blocks}
