"""A digest as an email: a subject, a plain-text part and an HTML part saying the same."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from services.notifier.domain.change import Change
from services.notifier.domain.message_content import (
    ItemSummary,
    chain_links,
    headline,
    summarise,
)
from shared.events import RiskLevel


@dataclass(frozen=True)
class EmailContent:
    subject: str
    plain: str
    html: str


def plain_item(item: ItemSummary) -> str:
    lines = [f"- {item.title} {item.status} ({item.item_id})"]
    lines += [f"  {item.dates}"] if item.dates else []
    lines += [f"  {item.waiting}"] if item.waiting else []
    lines += [f"  why: {reason}" for reason in item.why]
    lines += ["  critical chain: " + " -> ".join(item.chain)] if item.chain else []
    lines += [f"  {item.related_label}: {entry}" for entry in item.related]
    lines += [f"  {item.link}"] if item.link else []
    lines += [f"  why, in Slipstream: {item.explained}"] if item.explained else []
    return "\n".join(lines)


# Inline styles only: mail clients drop <style> blocks and external sheets.
LEVEL_COLOURS = {
    RiskLevel.OFF_TRACK: "#b42318",
    RiskLevel.AT_RISK: "#b54708",
    RiskLevel.ON_TRACK: "#067647",
}
PAGE = "font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2939;"
ITEM = "margin: 0 0 14px; line-height: 1.45;"
QUIET = "color: #475467;"


def html_item(item: ItemSummary) -> str:
    title = escape(item.title)
    name = f'<a href="{escape(item.link)}">{title}</a>' if item.link else title
    colour = LEVEL_COLOURS[item.level]
    status = f'<strong style="color: {colour};">{escape(item.status)}</strong>'
    parts = [f'<li style="{ITEM}"><strong>{name}</strong> {status}']
    parts += [f"<br>{escape(item.dates)}"] if item.dates else []
    parts += [f"<br><strong>{escape(item.waiting)}</strong>"] if item.waiting else []
    parts += [f'<br><span style="{QUIET}">why:</span> {escape(r)}' for r in item.why]
    if item.chain:
        chain = " &rarr; ".join(
            f'<a href="{escape(page)}">{escape(name)}</a>' if page else escape(name)
            for name, page in chain_links(item)
        )
        parts.append(f'<br><span style="{QUIET}">critical chain:</span> {chain}')
    parts += [f"<br>{escape(item.related_label or '')}: {escape(e)}" for e in item.related]
    if item.explained:
        parts.append(f'<br><a href="{escape(item.explained)}">Why, in Slipstream</a>')
    return "".join(parts) + "</li>"


def email_content(changes: Sequence[Change], dashboard: str | None = None) -> EmailContent:
    items = [summarise(change, dashboard) for change in changes]
    subject = "[Slipstream] " + headline(changes)
    plain = headline(changes) + "\n\n" + "\n".join(plain_item(item) for item in items) + "\n"
    listed = "".join(html_item(i) for i in items)
    html = (
        f'<div style="{PAGE}"><h2 style="font-size: 18px;">{escape(headline(changes))}</h2>'
        f'<ul style="padding-left: 20px;">{listed}</ul></div>'
    )
    return EmailContent(subject, plain, html)
