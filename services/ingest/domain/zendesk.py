"""Zendesk webhooks: base64 HMAC-SHA256 over timestamp and body, and ticket bodies.

Concatenation order is ambiguous. Zendesk's current page says
``base64(HMACSHA256(TIMESTAMP + BODY))``; the older page wrote ``(BODY)(TIMESTAMP)`` and its
published example signature reproduces only with BODY + TIMESTAMP. We accept either order
under the same secret: both prove knowledge of the secret over this exact body and
timestamp, so forging stays as hard, and we keep working whichever the vendor really uses.
The secret is used as its UTF-8 text (that is how the published vector reproduces), not
base64-decoded.

Bodies: event subscriptions send ``type: "zen:event-type:ticket.…"`` with the ticket in
``detail``; trigger webhooks send whatever the admin wrote, and we read the template in
docs: ``{"ticket": {"id", "subject", "description", "url", "updated_at", "priority",
"tags", "requester": {"id", "name", "email"}}, "item_ids": ["jira:PAY-12"],
"linked_issues": "{{ticket.ticket_field_<id>}}"}``.

Links: ``item_ids`` and ``linked_issues`` (a ticket field holding linked Jira keys or URLs, as
the Jira integration's "linked issues" field or an admin's own; a list or text, read with the
shared reference reader) are explicit; references in the subject and description are text.
``tags`` (a list, or ``{{ticket.tags}}``' space-separated text) and ``priority`` travel on for
feedback's tag rules and importance.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

from services.ingest.domain.customers import customer_key, plain
from services.ingest.domain.mentions import link_origins, mentions
from services.ingest.domain.model import (
    Delivery,
    Emitter,
    Normalised,
    SourceRules,
    Uninterpretable,
    VerificationFailed,
    body_digest,
)
from services.ingest.domain.reading import JsonObject, instant, obj, scalar_id, text
from services.ingest.domain.signing import any_matches, need_header, need_secrets, within_tolerance
from shared.events import FeedbackReceivedV1, Source

TOLERANCE_SECONDS = 300
TICKET_EVENT = "zen:event-type:ticket."


def _signature(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


class ZendeskParser:
    name = "zendesk"

    def verify(self, delivery: Delivery, secrets: Sequence[str], now: datetime) -> None:
        need_secrets(secrets)
        given = need_header(delivery, "x-zendesk-webhook-signature").strip()
        stamp = need_header(delivery, "x-zendesk-webhook-signature-timestamp").strip()
        stamp_bytes = stamp.encode("utf-8", "replace")
        documented = stamp_bytes + delivery.body
        legacy = delivery.body + stamp_bytes
        if not (
            any_matches([given], secrets, lambda s: _signature(s, documented))
            | any_matches([given], secrets, lambda s: _signature(s, legacy))
        ):
            raise VerificationFailed("bad signature in x-zendesk-webhook-signature")
        sent = instant(stamp)
        if sent is None:
            raise VerificationFailed("stale timestamp: signature timestamp is not ISO-8601")
        within_tolerance(sent, now, TOLERANCE_SECONDS)

    def delivery_id(self, delivery: Delivery, payload: Mapping[str, object]) -> str:
        # Event subscriptions carry a stable event id; triggers only the invocation header.
        return (
            scalar_id(payload, "id")
            or delivery.header("x-zendesk-webhook-invocation-id")
            or body_digest(delivery.body)
        )

    def normalise(
        self,
        delivery: Delivery,
        payload: Mapping[str, object],
        delivery_id: str,
        rules: SourceRules,
    ) -> Normalised:
        em = Emitter(
            Source.ZENDESK, delivery_id, instant(payload.get("time")) or delivery.received_at
        )
        kind = text(payload, "type")
        if kind is not None and not kind.startswith(TICKET_EVENT):
            return em.result(f"zendesk event '{kind}' not handled")
        ticket = obj(payload, "detail") if kind else obj(payload, "ticket")
        if ticket is None:
            raise Uninterpretable("zendesk body is neither a ticket event nor our trigger template")
        em.emit(_feedback(em, ticket, payload, rules))
        return em.result()


def _feedback(
    em: Emitter, ticket: JsonObject, payload: JsonObject, rules: SourceRules
) -> FeedbackReceivedV1:
    ticket_id = scalar_id(ticket, "id")
    if not ticket_id:
        raise Uninterpretable("zendesk ticket without id")
    requester = obj(ticket, "requester")
    if requester is None and scalar_id(ticket, "requester_id"):
        requester = {"id": scalar_id(ticket, "requester_id")}
    customer, name = customer_key("zendesk", requester)
    origins = link_origins(
        explicit_items(payload, rules),
        text(ticket, "subject"),
        text(ticket, "description"),
        rules=rules,
    )
    return FeedbackReceivedV1(
        **em.header(),
        feedback_id=f"zendesk:ticket/{ticket_id}",
        customer_id=customer,
        customer_name=name,
        source_updated_at=instant(ticket.get("updated_at")) or em.occurred_at,
        kind="ticket",
        text=" — ".join(
            t for t in (text(ticket, "subject"), plain(text(ticket, "description"))) if t
        )
        or None,
        url=text(ticket, "url"),
        # The body is read raw: a pasted link survives only in the HTML's href.
        item_ids=tuple(origins),
        linked_by=origins,
        priority=text(ticket, "priority"),
        tags=words(ticket.get("tags")),
    )


def words(raw: object) -> tuple[str, ...]:
    """A list of strings, or the space/comma-separated text a Zendesk placeholder renders."""
    parts = raw if isinstance(raw, list) else str(raw or "").replace(",", " ").split()
    return tuple(
        dict.fromkeys(p.strip().lower() for p in parts if isinstance(p, str) and p.strip())
    )


def explicit_items(payload: JsonObject, rules: SourceRules) -> tuple[str, ...]:
    items = payload.get("item_ids")
    named = [i for i in items if isinstance(i, str)] if isinstance(items, list) else []
    linked = payload.get("linked_issues")
    texts = linked if isinstance(linked, list) else [linked] if isinstance(linked, str) else []
    for entry in texts:
        if isinstance(entry, str):
            named += mentions(entry, home_repo=None, rules=rules)
    return tuple(dict.fromkeys(named))
