"""What the notifier's read APIs show of a secret: that it is set, never what it is.

A Slack incoming-webhook URL is a bearer credential (whoever holds it can post to the channel),
so it shows as its scheme and host only, in the directory and in the notification log, where
it is also the destination and may appear inside a recorded error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

SIGNING_SECRET_SHOWN = "whsec_…"


def masked_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


def without(value: Any, secret: str, shown: str) -> Any:
    """``value`` with every occurrence of ``secret`` in its strings replaced by ``shown``."""
    if isinstance(value, str):
        return value.replace(secret, shown)
    if isinstance(value, dict):
        return {k: without(v, secret, shown) for k, v in value.items()}
    if isinstance(value, list):
        return [without(v, secret, shown) for v in value]
    return value


def logged(document: dict[str, Any]) -> dict[str, Any]:
    """A notification log entry as an API reader sees it."""
    destination = document.get("destination")
    if document.get("channel") == "slack" and isinstance(destination, str) and destination:
        return dict(without(document, destination, masked_url(destination)))
    return document


def person_shown(channels: dict[str, Any]) -> dict[str, Any]:
    """A person's channels as an API reader sees them."""
    shown = dict(channels)
    if shown.get("webhook"):
        shown["webhook"] = {**shown["webhook"], "secret": SIGNING_SECRET_SHOWN}
    if shown.get("slack"):
        shown["slack"] = {"webhook_url": masked_url(shown["slack"]["webhook_url"])}
    return shown
