"""Intercom webhooks: ``X-Hub-Signature: sha1=<hex>`` and conversation topics.

Intercom signs with the app's client secret and sends no timestamp; replays are caught by
dedupe on the notification id, which Intercom keeps across retries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from services.ingest.domain.customers import customer_key, plain
from services.ingest.domain.mentions import link_origins
from services.ingest.domain.model import (
    Delivery,
    Emitter,
    Normalised,
    SourceRules,
    Uninterpretable,
    body_digest,
)
from services.ingest.domain.reading import JsonObject, epoch, need_obj, obj, objs, scalar_id, text
from services.ingest.domain.signing import verify_prefixed_hex
from shared.events import FeedbackReceivedV1, Source

TOPIC_KINDS = {
    "conversation.user.created": "conversation",
    "conversation.user.replied": "reply",
    "conversation.admin.replied": "admin_reply",
}


class IntercomParser:
    name = "intercom"

    def verify(self, delivery: Delivery, secrets: Sequence[str], now: datetime) -> None:
        verify_prefixed_hex(delivery, secrets, "x-hub-signature", "sha1=", "sha1")

    def delivery_id(self, delivery: Delivery, payload: Mapping[str, object]) -> str:
        return scalar_id(payload, "id") or body_digest(delivery.body)

    def normalise(
        self,
        delivery: Delivery,
        payload: Mapping[str, object],
        delivery_id: str,
        rules: SourceRules,
    ) -> Normalised:
        when = epoch(payload.get("created_at"), millis=False) or delivery.received_at
        em = Emitter(Source.INTERCOM, delivery_id, when)
        topic = text(payload, "topic") or ""
        if topic not in TOPIC_KINDS:
            return em.result(f"intercom topic '{topic}' not handled")
        conversation = need_obj(need_obj(payload, "data", "intercom"), "item", "intercom data")
        em.emit(_feedback(em, conversation, TOPIC_KINDS[topic], rules))
        return em.result()


def _latest_part(conversation: JsonObject) -> JsonObject | None:
    parts = objs(obj(conversation, "conversation_parts") or {}, "conversation_parts")
    return parts[-1] if parts else None


def _customer(conversation: JsonObject) -> JsonObject | None:
    # API 1.x puts the customer in "user"; 2.x lists "contacts".
    contacts = objs(obj(conversation, "contacts") or {}, "contacts")
    return obj(conversation, "user") or (contacts[0] if contacts else None)


def _feedback(
    em: Emitter, conversation: JsonObject, kind: str, rules: SourceRules
) -> FeedbackReceivedV1:
    conversation_id = scalar_id(conversation, "id")
    if not conversation_id:
        raise Uninterpretable("intercom conversation without id")
    part = _latest_part(conversation) if kind != "conversation" else None
    message = part or obj(conversation, "conversation_message") or obj(conversation, "source")
    part_id = scalar_id(part, "id") if part else None
    feedback_id = f"intercom:conversation/{conversation_id}"
    customer, name = customer_key("intercom", _customer(conversation))
    origins = link_origins((), text(message, "body") if message else None, rules=rules)
    return FeedbackReceivedV1(
        **em.header(),
        feedback_id=f"{feedback_id}/part/{part_id}" if part_id else feedback_id,
        customer_id=customer,
        customer_name=name,
        source_updated_at=epoch(conversation.get("updated_at"), millis=False) or em.occurred_at,
        kind=kind,
        text=plain(text(message, "body")) if message else None,
        url=text(obj(conversation, "links") or {}, "conversation_web"),
        # The body is read raw: a pasted link survives only in the HTML's href.
        item_ids=tuple(origins),
        linked_by=origins,
    )
