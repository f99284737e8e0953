"""Standard Webhooks signing (https://www.standardwebhooks.com/), used for what we send.

Signed content is ``<webhook-id>.<webhook-timestamp>.<body>``; the key is the base64 part of a
``whsec_`` secret; the signature header lists ``v1,<base64 HMAC-SHA256>`` entries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SECRET_PREFIX = "whsec_"


def secret_key(secret: str) -> bytes:
    """Decode a ``whsec_`` secret; tolerate a missing prefix or padding as the reference libs do.

    Raises ``ValueError`` (``binascii.Error``) when the rest is not base64.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)


def signature(secret: str, message_id: str, timestamp: int | str, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_matches(
    secret: str, message_id: str, timestamp: int, body: bytes, header: str
) -> bool:
    """True when any ``v1`` entry of the header matches; compared in constant time."""
    expected = signature(secret, message_id, timestamp, body).encode()
    candidates = [entry for entry in header.split() if entry.startswith("v1,")]
    return any(hmac.compare_digest(expected, entry.encode()) for entry in candidates)


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
