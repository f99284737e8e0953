"""One customer per person across feedback tools: a normalised e-mail, else the tool's id."""

from __future__ import annotations

EMAIL_PREFIX = "email:"


def customer_key(tool: str, email: str | None, tool_id: str | None) -> str:
    """The key two tools agree on when they can: the e-mail, trimmed and lower-cased."""
    if email and email.strip():
        return EMAIL_PREFIX + email.strip().lower()
    if tool_id and tool_id.strip():
        return f"{tool}:user/{tool_id.strip()}"
    raise ValueError(f"{tool} customer has neither e-mail nor id")


def normalised(customer_id: str) -> str:
    """Ingest already keys by e-mail; re-normalise so a differently cased key still joins."""
    if customer_id.lower().startswith(EMAIL_PREFIX):
        return EMAIL_PREFIX + customer_id[len(EMAIL_PREFIX) :].strip().lower()
    return customer_id.strip()


def email_domain(customer_id: str) -> str | None:
    """The domain of a customer keyed by e-mail, or None for a tool-id customer."""
    key = normalised(customer_id)
    if not key.startswith(EMAIL_PREFIX) or "@" not in key:
        return None
    return key.rsplit("@", 1)[1] or None
