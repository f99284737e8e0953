"""Standard Webhooks (standardwebhooks.com): the door for any tool we have no parser for.

Signature: ``webhook-signature`` lists space-separated ``v1,<base64 HMAC-SHA256>`` entries
(several during key rotation; any match passes) over ``<webhook-id>.<webhook-timestamp>.<body>``,
keyed by the base64 part of a ``whsec_…`` secret; ``webhook-timestamp`` is unix seconds and
must be within five minutes of now.

Canonical body — a team wiring a new tool sends one canonical event per delivery::

    {"type": "item.changed", "timestamp": "2024-06-01T12:00:00Z",
     "data": {"item_id": "acme:TASK-1", "title": "…", "status": "in_progress",
              "source_updated_at": "2024-06-01T11:59:00Z", "target": "2024-07-01"}}

``type`` is one of ``TYPES`` below; ``data`` holds that event's fields exactly as in
``shared.events`` minus the envelope (event_id, occurred_at, source, delivery_id), which
we derive. ``timestamp`` (optional) is when it happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import ValidationError

from services.ingest.domain.mentions import link_origins
from services.ingest.domain.model import (
    Delivery,
    Emitter,
    Normalised,
    SourceRules,
    Uninterpretable,
    VerificationFailed,
    body_digest,
)
from services.ingest.domain.reading import epoch_text, instant, need_obj, need_text
from services.ingest.domain.signing import any_matches, need_header, need_secrets, within_tolerance
from shared.events import (
    DependencyAddedV1,
    DependencyRemovedV1,
    Event,
    FeedbackReceivedV1,
    ItemChangedV1,
    ItemRemovedV1,
    ReleaseChangedV1,
    Source,
)
from shared.standard_webhooks import signature

TOLERANCE_SECONDS = 300
TYPES: Mapping[str, type[Event]] = {
    "item.changed": ItemChangedV1,
    "item.removed": ItemRemovedV1,
    "dependency.added": DependencyAddedV1,
    "dependency.removed": DependencyRemovedV1,
    "release.changed": ReleaseChangedV1,
    "feedback.received": FeedbackReceivedV1,
}


def sign(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The base64 signature a ``v1,`` entry must carry; one implementation for what we send
    (notifier) and what we receive."""
    try:
        return signature(secret, msg_id, timestamp, body).removeprefix("v1,")
    except ValueError as exc:
        raise VerificationFailed("configured standard-webhooks secret is not base64") from exc


class StandardParser:
    name = "standard"

    def verify(self, delivery: Delivery, secrets: Sequence[str], now: datetime) -> None:
        need_secrets(secrets)
        msg_id = need_header(delivery, "webhook-id")
        stamp = need_header(delivery, "webhook-timestamp").strip()
        entries = need_header(delivery, "webhook-signature").split()
        given = [entry[3:] for entry in entries if entry.startswith("v1,")]
        if not given:
            raise VerificationFailed("webhook-signature has no v1 entry")
        if not any_matches(given, secrets, lambda s: sign(s, msg_id, stamp, delivery.body)):
            raise VerificationFailed("bad signature in webhook-signature")
        sent = epoch_text(stamp, millis=False)
        if sent is None:
            raise VerificationFailed("stale timestamp: webhook-timestamp is not unix seconds")
        within_tolerance(sent, now, TOLERANCE_SECONDS)

    def delivery_id(self, delivery: Delivery, payload: Mapping[str, object]) -> str:
        return delivery.header("webhook-id") or body_digest(delivery.body)

    def normalise(
        self,
        delivery: Delivery,
        payload: Mapping[str, object],
        delivery_id: str,
        rules: SourceRules,
    ) -> Normalised:
        em = Emitter(
            Source.STANDARD, delivery_id, instant(payload.get("timestamp")) or delivery.received_at
        )
        kind = need_text(payload, "type", "standard webhook")
        model = TYPES.get(kind)
        if model is None:
            return em.result(f"standard webhook type '{kind}' not handled")
        data = dict(need_obj(payload, "data", f"standard webhook {kind}"))
        envelope: dict[str, object] = dict(em.header())
        try:
            event = model.model_validate(data | envelope)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise Uninterpretable(f"standard webhook {kind}: {problems}") from exc
        if isinstance(event, FeedbackReceivedV1):
            origins = link_origins(event.item_ids, event.text, rules=rules)
            event = event.model_copy(update={"item_ids": tuple(origins), "linked_by": origins})
        em.emit(event)
        return em.result()
