"""Jira Cloud webhooks: ``X-Hub-Signature`` (sha256) and issue, link and version events.

The event name is in the body (``webhookEvent``); ``timestamp`` (epoch ms) is when Jira
says it happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from services.ingest.domain.jira_issues import issue_key, item_changed, release_changed
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
    text,
)
from services.ingest.domain.signing import verify_prefixed_hex
from shared.events import DependencyAddedV1, DependencyRemovedV1, ItemRemovedV1, Source

VERSION_EVENTS = frozenset(
    {
        "jira:version_created",
        "jira:version_updated",
        "jira:version_released",
        "jira:version_unreleased",
        "jira:version_moved",
    }
)


class JiraAdapter:
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
                ItemRemovedV1(**em.envelope(), item_id=issue_key(issue), source_updated_at=updated)
            )
            return em.result()
        if event in VERSION_EVENTS or event == "jira:version_deleted":
            version = need_obj(payload, "version", f"jira {event}")
            em.emit(release_changed(em, version, deleted=event == "jira:version_deleted"))
            return em.result()
        if event in ("issuelink_created", "issuelink_deleted"):
            return em.result(_issuelink_reason(payload, event, rules))
        return em.result(f"jira event '{event}' not handled")


def _issue_changed(em: Emitter, payload: JsonObject, rules: SourceRules) -> Normalised:
    issue = need_obj(payload, "issue", "jira issue event")
    changelog = obj(payload, "changelog")
    item = item_changed(em, issue, changelog, rules)
    em.emit(item)
    versions = objs(obj(issue, "fields") or {}, "fixVersions")
    if versions:
        em.emit(release_changed(em, versions[0]))
    _links(em, item.item_id, obj(issue, "fields") or {}, changelog, rules)
    return em.result()


def _links(
    em: Emitter, me: str, fields: JsonObject, changelog: JsonObject | None, rules: SourceRules
) -> None:
    """Blocking links: the snapshot re-asserts current ones, the changelog removes old ones."""
    types = {name.lower() for name in rules.jira_link_types}
    edges: dict[tuple[bool, str, str], None] = {}
    for link in objs(fields, "issuelinks"):
        if (text(obj(link, "type") or {}, "name") or "").lower() not in types:
            continue
        outward, inward = obj(link, "outwardIssue"), obj(link, "inwardIssue")
        if outward and text(outward, "key"):
            edges[(True, me, issue_key(outward))] = None
        if inward and text(inward, "key"):
            edges[(True, issue_key(inward), me)] = None
    for entry in objs(changelog or {}, "items"):
        if (text(entry, "field") or "").lower() == "link":
            edge = _changelog_edge(me, entry, rules)
            if edge:
                edges[edge] = None
    for added, blocker, blocked in edges:
        event = DependencyAddedV1 if added else DependencyRemovedV1
        em.emit(
            event(
                **em.envelope(),
                blocker_id=blocker,
                blocked_id=blocked,
                source_updated_at=em.occurred_at,
            )
        )


def _changelog_edge(me: str, entry: JsonObject, rules: SourceRules) -> tuple[bool, str, str] | None:
    """A "Link" change reads "This issue is blocked by PAY-3"; ``to`` or ``from`` is the key."""
    added = bool(text(entry, "to"))
    other = text(entry, "to") if added else text(entry, "from")
    wording = (text(entry, "toString") if added else text(entry, "fromString")) or ""
    wording = wording.lower().removeprefix("this issue ").strip()
    if not other:
        return None
    phrase = wording.removesuffix(other.lower()).strip()
    if phrase in {p.lower() for p in rules.jira_link_inward}:
        return added, f"jira:{other}", me
    if phrase in {p.lower() for p in rules.jira_link_outward}:
        return added, me, f"jira:{other}"
    return None


def _issuelink_reason(payload: JsonObject, event: str, rules: SourceRules) -> str:
    """Why issuelink_* yields nothing: it names issues only by numeric id, ours use keys.

    Jira records the same change in each issue's history and sends ``jira:issue_updated``
    with a "Link" changelog entry that carries the keys; that delivery makes the edge.
    """
    link = obj(payload, "issueLink") or {}
    kind = text(obj(link, "issueLinkType") or {}, "name") or "?"
    if kind.lower() not in {name.lower() for name in rules.jira_link_types}:
        return f"jira {event}: link type '{kind}' is not a blocking link"
    source, target = link.get("sourceIssueId"), link.get("destinationIssueId")
    return (
        f"jira {event}: '{kind}' link {source}->{target} names issues by id only; "
        "the edge comes from the jira:issue_updated changelog"
    )
