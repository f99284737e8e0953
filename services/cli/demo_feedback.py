"""The demo's customers: three people of two organisations asking for the blocked checkout,
sent as Standard Webhooks so the demo shows demand beside the risk it raises."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.standard_webhooks import signed_headers

BLOCKED_ITEM = "github:acme/web#7"
ASKING = (
    ("standard:ticket/demo-1", "ana@northwind.test", "Checkout keeps timing out for our buyers"),
    ("standard:ticket/demo-2", "ben@northwind.test", "Any date for the new checkout?"),
    ("standard:ticket/demo-3", "chloe@contoso.test", "We hold our launch for the checkout"),
)


@dataclass(frozen=True)
class StandardDelivery:
    message_id: str
    body: dict[str, object]

    def signed(self, secret: str) -> tuple[bytes, dict[str, str]]:
        raw = json.dumps(self.body).encode()
        headers = signed_headers(secret, self.message_id, int(time.time()), raw)
        return raw, {**headers, "content-type": "application/json"}


def feedback_scenario(now: datetime | None = None) -> list[StandardDelivery]:
    stamp = (now or datetime.now(UTC)).isoformat()
    return [
        StandardDelivery(
            f"feedback-{feedback_id.rsplit('/', 1)[1]}",
            {
                "type": "feedback.received",
                "data": {
                    "feedback_id": feedback_id,
                    "customer_id": f"email:{email}",
                    "kind": "ticket",
                    "text": text,
                    "item_ids": [BLOCKED_ITEM],
                    "source_updated_at": stamp,
                },
            },
        )
        for feedback_id, email, text in ASKING
    ]
