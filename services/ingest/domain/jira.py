"""Jira Cloud webhooks: ``X-Hub-Signature`` (sha256) and issue, link and version events.

The event name is in the body (``webhookEvent``); ``timestamp`` (epoch ms) is when Jira
says it happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from services.ingest.domain.jira_issues import issue_key, item_changed, release_changed
from services.ingest.domain.jira_links import (
    emit_description_references,
    emit_issuelink,
    emit_links,
)
from services.ingest.domain.model import (
    Delivery,
    Emitter,
    Normalised,
    SourceRules,
    body_digest,
)
from services.ingest.domain.reading import (
    JsonObject,
    epoch,
    instant,
    need_obj,
    need_text,
    obj,
    objs,
)
from services.ingest.domain.signing import verify_prefixed_hex
from shared.events import ItemRemovedV1, Source

VERSION_EVENTS = frozenset(
    {
        "jira:version_created",
        "jira:version_updated",
        "jira:version_released",
        "jira:version_unreleased",
        "jira:version_moved",
    }
)


class JiraParser:
    name = "jira"

    def verify(self, delivery: Delivery, secrets: Sequence[str], now: datetime) -> None:
        # Jira signs no timestamp; replays are caught by dedupe on the webhook identifier.
        verify_prefixed_hex(delivery, secrets, "x-hub-signature", "sha256=", "sha256")

    def delivery_id(self, delivery: Delivery, payload: Mapping[str, object]) -> str:
        # Stable across Jira's retries, unlike X-Atlassian-Webhook-Retry.
        return delivery.header("x-atlassian-webhook-identifier") or body_digest(delivery.body)

    def normalise(
        self,
        delivery: Delivery,
        payload: Mapping[str, object],
        delivery_id: str,
        rules: SourceRules,
    ) -> Normalised:
        when = epoch(payload.get("timestamp"), millis=True) or delivery.received_at
        em = Emitter(Source.JIRA, delivery_id, when)
        event = need_text(payload, "webhookEvent", "jira delivery")
        if event in ("jira:issue_created", "jira:issue_updated"):
            return _issue_changed(em, payload, rules)
        if event == "jira:issue_deleted":
            issue = need_obj(payload, "issue", "jira issue_deleted")
            fields = obj(issue, "fields") or {}
            updated = instant(fields.get("updated")) or em.occurred_at
            em.emit(
                ItemRemovedV1(**em.header(), item_id=issue_key(issue), source_updated_at=updated)
            )
            return em.result()
        if event in VERSION_EVENTS or event == "jira:version_deleted":
            version = need_obj(payload, "version", f"jira {event}")
            em.emit(release_changed(em, version, deleted=event == "jira:version_deleted"))
            return em.result()
        if event in ("issuelink_created", "issuelink_deleted"):
            return emit_issuelink(em, payload, event, rules)
        return em.result(f"jira event '{event}' not handled")


def _issue_changed(em: Emitter, payload: JsonObject, rules: SourceRules) -> Normalised:
    issue = need_obj(payload, "issue", "jira issue event")
    changelog = obj(payload, "changelog")
    item = item_changed(em, issue, changelog, rules)
    em.emit(item)
    versions = objs(obj(issue, "fields") or {}, "fixVersions")
    if versions:
        em.emit(release_changed(em, versions[0]))
    fields = obj(issue, "fields") or {}
    emit_links(em, item.item_id, fields, changelog, rules)
    emit_description_references(em, item.item_id, fields, changelog, rules)
    return em.result()
