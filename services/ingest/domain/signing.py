"""HMAC checks shared by the vendors; every comparison is constant-time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import datetime

from services.ingest.domain.model import Delivery, VerificationFailed


def _ascii(value: str) -> bytes:
    # compare_digest refuses non-ASCII str; forged headers may hold anything.
    return value.encode("utf-8", "replace")


def need_header(delivery: Delivery, name: str) -> str:
    value = delivery.header(name)
    if not value:
        raise VerificationFailed(f"missing header {name}")
    return value


def need_secrets(secrets: Sequence[str]) -> None:
    if not any(secrets):
        raise VerificationFailed("no signing secret configured for this source")


def any_matches(given: Sequence[str], secrets: Sequence[str], sign: Callable[[str], str]) -> bool:
    """True when any given signature equals the signature under any secret (rotation)."""
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = _ascii(sign(secret))
        for candidate in given:
            # No early exit: timing then does not reveal which secret or entry matched.
            matched |= hmac.compare_digest(expected, _ascii(candidate))
    return matched


def hex_hmac(secret: str, message: bytes, digest: str = "sha256") -> str:
    return hmac.new(secret.encode(), message, getattr(hashlib, digest)).hexdigest()


def verify_prefixed_hex(
    delivery: Delivery, secrets: Sequence[str], header: str, prefix: str, digest: str
) -> None:
    """GitHub's scheme, reused by Jira (sha256) and Intercom (sha1): ``<prefix><hex>``."""
    need_secrets(secrets)
    value = need_header(delivery, header).strip()
    if not value.startswith(prefix):
        raise VerificationFailed(f"header {header} does not start with '{prefix}'")
    given = value[len(prefix) :].lower()
    if not any_matches([given], secrets, lambda s: hex_hmac(s, delivery.body, digest)):
        raise VerificationFailed(f"bad signature in {header}")


def within_tolerance(sent_at: datetime, now: datetime, seconds: float) -> None:
    """Reject replays: a captured delivery is only useful to an attacker later."""
    if abs((now - sent_at).total_seconds()) > seconds:
        raise VerificationFailed(
            f"stale timestamp: sent {sent_at.isoformat()}, now {now.isoformat()}, "
            f"tolerance {seconds:.0f}s"
        )
