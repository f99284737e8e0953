"""A digest as an email: a subject, a plain-text part and an HTML part saying the same."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from services.notifier.domain.change import Change
from services.notifier.domain.message_content import ItemSummary, headline, summarise


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
    return "\n".join(lines)


def html_item(item: ItemSummary) -> str:
    title = escape(item.title)
    name = f'<a href="{escape(item.link)}">{title}</a>' if item.link else title
    parts = [f"<li><strong>{name}</strong> {escape(item.status)}"]
    parts += [f"<br>{escape(item.dates)}"] if item.dates else []
    parts += [f"<br><strong>{escape(item.waiting)}</strong>"] if item.waiting else []
    parts += [f"<br>why: {escape(reason)}" for reason in item.why]
    parts += (
        ["<br>critical chain: " + " &rarr; ".join(map(escape, item.chain))] if item.chain else []
    )
    parts += [f"<br>{escape(item.related_label or '')}: {escape(e)}" for e in item.related]
    return "".join(parts) + "</li>"


def email_content(changes: Sequence[Change]) -> EmailContent:
    items = [summarise(change) for change in changes]
    subject = "[Slipstream] " + headline(changes)
    plain = headline(changes) + "\n\n" + "\n".join(plain_item(item) for item in items) + "\n"
    html = f"<h2>{escape(headline(changes))}</h2><ul>{''.join(html_item(i) for i in items)}</ul>"
    return EmailContent(subject, plain, html)
