"""Who gave feedback, named so one customer is one key across feedback tools."""

from __future__ import annotations

import html
import re

from services.ingest.domain.model import Uninterpretable
from services.ingest.domain.reading import JsonObject, scalar_id, text

_TAG = re.compile(r"<[^>]+>")


def customer_key(tool: str, person: JsonObject | None) -> tuple[str, str | None]:
    """(customer id, display name). An e-mail joins the same person across tools; demand
    would otherwise count a customer once per tool they wrote in."""
    if not person:
        raise Uninterpretable(f"{tool} feedback without a customer")
    email = text(person, "email")
    if email:
        return f"email:{email.strip().lower()}", text(person, "name")
    identifier = scalar_id(person, "id")
    if not identifier:
        raise Uninterpretable(f"{tool} feedback: customer has neither e-mail nor id")
    return f"{tool}:user/{identifier}", text(person, "name")


def plain(markup: str | None) -> str | None:
    """Message bodies arrive as HTML; people read the words."""
    if not markup:
        return None
    words = html.unescape(_TAG.sub(" ", markup))
    return " ".join(words.split()) or None
