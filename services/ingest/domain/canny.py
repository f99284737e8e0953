"""Canny webhooks: posts and votes as customer feedback, with their linked Jira issues.

Signature (from Canny's API reference as we understand it; no published vector exists):
``canny-signature`` is base64 HMAC-SHA256 of the ``canny-nonce`` header keyed by the
company's API key. It does NOT cover the body or the timestamp, so it proves only that
the sender knows the key; we also bound ``canny-timestamp`` to narrow replays, and dedupe
(on the body digest, Canny sends no delivery id) absorbs exact repeats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

from services.ingest.domain.customers import customer_key
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
from services.ingest.domain.reading import JsonObject, epoch_text, instant, need_obj, obj, text
from services.ingest.domain.signing import (
    any_matches,
    need_header,
    need_secrets,
    within_tolerance,
)
from shared.events import FeedbackReceivedV1, Source

TOLERANCE_SECONDS = 300
POST_TYPES = frozenset(
    {"post.created", "post.status_changed", "post.jira_issue_linked", "post.jira_issue_unlinked"}
)
VOTE_TYPES = frozenset({"vote.created", "vote.deleted"})


def _nonce_signature(secret: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), nonce.encode("utf-8", "replace"), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def _timestamp(value: str) -> datetime | None:
    # Seen as milliseconds in third-party handlers; accept seconds too.
    return epoch_text(value, millis=len(value.strip()) > 11)


class CannyParser:
    name = "canny"

    def verify(self, delivery: Delivery, secrets: Sequence[str], now: datetime) -> None:
        need_secrets(secrets)
        nonce = need_header(delivery, "canny-nonce")
        given = need_header(delivery, "canny-signature").strip()
        if not any_matches([given], secrets, lambda s: _nonce_signature(s, nonce)):
            raise VerificationFailed("bad signature in canny-signature")
        sent = _timestamp(need_header(delivery, "canny-timestamp").strip())
        if sent is None:
            raise VerificationFailed("stale timestamp: canny-timestamp is not epoch time")
        within_tolerance(sent, now, TOLERANCE_SECONDS)

    def delivery_id(self, delivery: Delivery, payload: Mapping[str, object]) -> str:
        return body_digest(delivery.body)

    def normalise(
        self,
        delivery: Delivery,
        payload: Mapping[str, object],
        delivery_id: str,
        rules: SourceRules,
    ) -> Normalised:
        em = Emitter(
            Source.CANNY, delivery_id, instant(payload.get("created")) or delivery.received_at
        )
        kind = text(payload, "type") or ""
        thing = need_obj(payload, "object", f"canny {kind}")
        if kind in POST_TYPES:
            em.emit(_feedback(em, "post", thing, thing, obj(thing, "author"), rules))
        elif kind in VOTE_TYPES:
            post = need_obj(thing, "post", "canny vote")
            voter = obj(thing, "voter")
            em.emit(_feedback(em, "vote", thing, post, voter, rules, kind == "vote.deleted"))
        else:
            return em.result(f"canny event '{kind}' not handled")
        return em.result()


def _linked_items(post: JsonObject) -> tuple[str, ...]:
    jira = obj(post, "jira") or {}
    keys: list[str] = []
    raw = jira.get("linkedIssues")
    for entry in raw if isinstance(raw, list) else []:
        key = (
            entry
            if isinstance(entry, str)
            else text(entry, "key")
            if isinstance(entry, dict)
            else None
        )
        if key:
            keys.append(f"jira:{key}")
    return tuple(dict.fromkeys(keys))


def _feedback(
    em: Emitter,
    kind: str,
    thing: JsonObject,
    post: JsonObject,
    person: JsonObject | None,
    rules: SourceRules,
    retracted: bool = False,
) -> FeedbackReceivedV1:
    identifier = text(thing, "id")
    if not identifier:
        raise Uninterpretable(f"canny {kind} without id")
    customer, name = customer_key("canny", person)
    origins = link_origins(
        _linked_items(post), text(post, "title"), text(post, "details"), rules=rules
    )
    return FeedbackReceivedV1(
        **em.header(),
        feedback_id=f"canny:{kind}/{identifier}",
        customer_id=customer,
        customer_name=name,
        # Posts carry no updated-at; status changes say when, otherwise the event time.
        source_updated_at=instant(thing.get("changedAt")) or em.occurred_at,
        kind=kind,
        text=" — ".join(t for t in (text(post, "title"), text(post, "details")) if t) or None,
        url=text(post, "url"),
        item_ids=tuple(origins),
        linked_by=origins,
        retracted=retracted,
    )
