"""Signing every vendor's way, and an in-memory DeliveryLog, for the ingest HTTP tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

from services.ingest.adapters.jetstream import delivery_headers, raw_msg_id
from services.ingest.domain import Delivery
from services.ingest.ports import PublishUnavailable
from shared.standard_webhooks import signed_headers

SECRETS = {
    "github": "gh-secret",
    "jira": "jira-secret",
    "linear": "linear-secret",
    "zendesk": "zendesk-secret",
    "intercom": "intercom-secret",
    "canny": "canny-secret",
    "standard": "whsec_" + base64.b64encode(b"standard-webhooks-test-key").decode(),
}
Signer = Callable[[bytes, datetime, str], dict[str, str]]


def _hex(source: str, body: bytes, digest: str = "sha256") -> str:
    return hmac.new(SECRETS[source].encode(), body, getattr(hashlib, digest)).hexdigest()


def _b64(source: str, message: bytes) -> str:
    mac = hmac.new(SECRETS[source].encode(), message, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def _github(body: bytes, now: datetime, delivery: str) -> dict[str, str]:
    return {
        "x-github-delivery": delivery,
        "x-hub-signature-256": "sha256=" + _hex("github", body),
    }


def _jira(body: bytes, now: datetime, delivery: str) -> dict[str, str]:
    return {
        "x-atlassian-webhook-identifier": delivery,
        "x-hub-signature": "sha256=" + _hex("jira", body),
    }


def _linear(body: bytes, now: datetime, delivery: str) -> dict[str, str]:
    # The body's webhookTimestamp, when there is one, wins over this header.
    return {
        "linear-delivery": delivery,
        "linear-signature": _hex("linear", body),
        "linear-timestamp": str(int(now.timestamp() * 1000)),
    }


def _zendesk(body: bytes, now: datetime, delivery: str) -> dict[str, str]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "x-zendesk-webhook-invocation-id": delivery,
        "x-zendesk-webhook-signature": _b64("zendesk", stamp.encode() + body),
        "x-zendesk-webhook-signature-timestamp": stamp,
    }


def _intercom(body: bytes, now: datetime, delivery: str) -> dict[str, str]:
    return {"x-hub-signature": "sha1=" + _hex("intercom", body, "sha1")}


def _canny(body: bytes, now: datetime, delivery: str) -> dict[str, str]:
    return {
        "canny-nonce": delivery,
        "canny-signature": _b64("canny", delivery.encode()),
        "canny-timestamp": str(int(now.timestamp() * 1000)),
    }


def _standard(body: bytes, now: datetime, delivery: str) -> dict[str, str]:
    return signed_headers(SECRETS["standard"], delivery, int(now.timestamp()), body)


SIGNERS: dict[str, Signer] = {
    "github": _github,
    "jira": _jira,
    "linear": _linear,
    "zendesk": _zendesk,
    "intercom": _intercom,
    "canny": _canny,
    "standard": _standard,
}


def signed(source: str, body: bytes, now: datetime, delivery: str) -> dict[str, str]:
    return {"content-type": "application/json", **SIGNERS[source](body, now, delivery)}


class InMemoryDeliveryLog:
    """Keeps deliveries by their JetStream msg id, checking the headers NATS would refuse."""

    def __init__(self, unavailable: bool = False) -> None:
        self.unavailable = unavailable
        self.kept: dict[str, Delivery] = {}

    async def keep(self, delivery: Delivery, delivery_id: str) -> bool:
        if self.unavailable:
            raise PublishUnavailable("nats down")
        for name, value in delivery_headers(delivery, delivery_id).items():
            assert value.isascii(), (name, value)
            assert value.isprintable(), (name, value)
        msg_id = raw_msg_id(delivery, delivery_id)
        seen = msg_id in self.kept
        self.kept.setdefault(msg_id, delivery)
        return seen
