"""Linear webhooks: ``Linear-Signature`` (hex HMAC-SHA256) and a signed body timestamp.

The event is the body's ``type`` (entity) and ``action`` (create/update/remove); every
delivery carries the whole entity, and ``updatedFrom`` the previous values on update.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from services.ingest.domain.linear_items import item_changed, item_id, relation, release_changed
from services.ingest.domain.model import (
    Delivery,
    Emitter,
    Normalised,
    SourceRules,
    VerificationFailed,
    body_digest,
)
from services.ingest.domain.reading import (
    epoch,
    epoch_text,
    instant,
    need_obj,
    need_text,
    obj,
    text,
)
from services.ingest.domain.signing import (
    any_matches,
    hex_hmac,
    need_header,
    need_secrets,
    within_tolerance,
)
from shared.events import ItemRemovedV1, Source

TOLERANCE_SECONDS = 60  # what Linear's own SDK allows
RELEASE_TYPES = frozenset({"Project", "ProjectMilestone"})


def _sent_at(delivery: Delivery) -> datetime | None:
    """The signed body field first (it cannot be altered), then the newer header."""
    try:
        body = json.loads(delivery.body)
    except (ValueError, RecursionError):
        body = None
    stamp = body.get("webhookTimestamp") if isinstance(body, dict) else None
    sent = epoch(stamp, millis=True)
    header = delivery.header("linear-timestamp")
    if sent is None and header:
        sent = epoch_text(header, millis=True)
    return sent


class LinearParser:
    name = "linear"

    def verify(self, delivery: Delivery, secrets: Sequence[str], now: datetime) -> None:
        need_secrets(secrets)
        given = need_header(delivery, "linear-signature").strip().lower()
        if not any_matches([given], secrets, lambda s: hex_hmac(s, delivery.body)):
            raise VerificationFailed("bad signature in linear-signature")
        sent = _sent_at(delivery)
        if sent is None:
            # Deliveries since 2022 always carry it; without it a replay cannot be ruled out.
            raise VerificationFailed("stale timestamp: no webhookTimestamp to check")
        within_tolerance(sent, now, TOLERANCE_SECONDS)

    def delivery_id(self, delivery: Delivery, payload: Mapping[str, object]) -> str:
        # webhookId names the subscription, not the delivery; Linear-Delivery does.
        return delivery.header("linear-delivery") or body_digest(delivery.body)

    def normalise(
        self,
        delivery: Delivery,
        payload: Mapping[str, object],
        delivery_id: str,
        rules: SourceRules,
    ) -> Normalised:
        when = (
            epoch(payload.get("webhookTimestamp"), millis=True)
            or instant(payload.get("createdAt"))
            or delivery.received_at
        )
        em = Emitter(Source.LINEAR, delivery_id, when)
        kind = need_text(payload, "type", "linear delivery")
        action = need_text(payload, "action", "linear delivery")
        data = need_obj(payload, "data", f"linear {kind}")
        previous = obj(payload, "updatedFrom")
        if kind == "Issue" and action == "remove":
            updated = instant(data.get("updatedAt")) or em.occurred_at
            em.emit(ItemRemovedV1(**em.header(), item_id=item_id(data), source_updated_at=updated))
        elif kind == "Issue" and action in ("create", "update"):
            item_changed(em, data, previous, rules)
        elif kind == "IssueRelation" and action in ("create", "update", "remove"):
            return relation(em, data, previous, action)
        elif kind in RELEASE_TYPES and action in ("create", "update", "remove"):
            url = text(payload, "url")
            em.emit(release_changed(em, kind, data, url, removed=action == "remove"))
        else:
            return em.result(f"linear {kind} {action} not handled")
        return em.result()
