"""One customer per person across feedback tools.

Ingest keys customers (``services/ingest/domain/customers.py``: the e-mail, else the tool's
id); feedback only reads those keys, so the rule has one home.
"""

from __future__ import annotations

EMAIL_PREFIX = "email:"


def normalised(customer_id: str) -> str:
    """Events from any sender (a Standard body writes its own key) join however cased."""
    if customer_id.lower().startswith(EMAIL_PREFIX):
        return EMAIL_PREFIX + customer_id[len(EMAIL_PREFIX) :].strip().lower()
    return customer_id.strip()


def email_domain(customer_id: str) -> str | None:
    """The domain of a customer keyed by e-mail, or None for a tool-id customer."""
    key = normalised(customer_id)
    if not key.startswith(EMAIL_PREFIX) or "@" not in key:
        return None
    return key.rsplit("@", 1)[1] or None
