"""Which organisation a customer speaks for, and what we know about it.

The tool's own organisation/company wins; else the e-mail domain, unless it is a public
mail domain (a gmail.com address says nothing about who pays). The public list is injected
so this module stays pure; the adapter supplies a maintained one.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from services.feedback.domain.customers import email_domain

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Organisation:
    organisation_id: str
    name: str | None = None
    domains: tuple[str, ...] = ()
    tier: str | None = None
    arr: float | None = field(default=None)
    # Whoever owns the account (an e-mail or a tool identity), told when its loops close.
    owner: str | None = None


def organisation_id(name: str) -> str:
    slug = _NOT_SLUG.sub("-", name.strip().lower()).strip("-")
    if not slug:
        raise ValueError(f"organisation name {name!r} has no letters or digits")
    return f"org:{slug}"


def organisation_for(
    tool_organisation: str | None,
    customer_id: str,
    public_domains: Collection[str],
    known_domains: dict[str, str] | None = None,
) -> str | None:
    """The organisation id, or None when nothing honest can be said."""
    if tool_organisation and tool_organisation.strip():
        return organisation_id(tool_organisation)
    domain = email_domain(customer_id)
    if domain is None or domain in public_domains:
        return None
    # A domain listed in the organisations file belongs to that organisation.
    return (known_domains or {}).get(domain, f"domain:{domain}")
