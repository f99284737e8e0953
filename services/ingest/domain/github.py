"""GitHub webhooks: ``X-Hub-Signature-256`` and the issue-tracking events.

GitHub bodies carry no event time, so ``occurred_at`` is when we received the delivery;
each entity's own ``updated_at`` still guards projections against reordering.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from services.ingest.domain.github_issues import (
    emit_body_references,
    issue_id,
    item_changed,
    release_changed,
    repo_name,
)
from services.ingest.domain.github_links import (
    emit_dependency,
    emit_project_schedule,
    emit_sub_issue,
)
from services.ingest.domain.model import (
    Delivery,
    Emitter,
    Normalised,
    SourceRules,
    Uninterpretable,
    body_digest,
)
from services.ingest.domain.reading import JsonObject, instant, need_obj, obj, text
from services.ingest.domain.signing import verify_prefixed_hex
from shared.events import ItemRemovedV1, Source

ITEM_ACTIONS = frozenset(
    {
        "opened",
        "edited",
        "closed",
        "reopened",
        "assigned",
        "unassigned",
        "labeled",
        "unlabeled",
        "milestoned",
        "demilestoned",
    }
)
MILESTONE_ACTIONS = frozenset({"created", "edited", "opened", "closed", "deleted"})


class GitHubParser:
    name = "github"

    def verify(self, delivery: Delivery, secrets: Sequence[str], now: datetime) -> None:
        # GitHub signs no timestamp; replays are caught by dedupe on X-GitHub-Delivery.
        verify_prefixed_hex(delivery, secrets, "x-hub-signature-256", "sha256=", "sha256")

    def delivery_id(self, delivery: Delivery, payload: Mapping[str, object]) -> str:
        return delivery.header("x-github-delivery") or body_digest(delivery.body)

    def normalise(
        self,
        delivery: Delivery,
        payload: Mapping[str, object],
        delivery_id: str,
        rules: SourceRules,
    ) -> Normalised:
        em = Emitter(Source.GITHUB, delivery_id, delivery.received_at)
        event = delivery.header("x-github-event")
        if not event:
            raise Uninterpretable("github delivery without X-GitHub-Event header")
        action = text(payload, "action") or ""
        if event == "ping":
            return em.result("github ping: a hook was set up; nothing to record")
        if event == "issues":
            return _issues(em, payload, action, rules)
        if event == "milestone" and action in MILESTONE_ACTIONS:
            milestone = need_obj(payload, "milestone", "github milestone")
            em.emit(
                release_changed(em, milestone, _repo(payload), rules, deleted=action == "deleted")
            )
            return em.result()
        if event == "issue_dependencies":
            return emit_dependency(em, payload, action, _repo_or_none(payload))
        if event == "sub_issues":
            return emit_sub_issue(em, payload, action, _repo_or_none(payload))
        if event == "projects_v2_item":
            return emit_project_schedule(em, payload, action, rules)
        what = f"github event '{event}'" + (f" action '{action}'" if action else "")
        return em.result(f"{what} not handled")


def _repo_or_none(payload: JsonObject) -> str | None:
    repository = obj(payload, "repository")
    return text(repository, "full_name") if repository else None


def _repo(payload: JsonObject) -> str:
    repo = _repo_or_none(payload)
    if not repo:
        raise Uninterpretable("github: missing repository.full_name")
    return repo


def _issues(em: Emitter, payload: JsonObject, action: str, rules: SourceRules) -> Normalised:
    issue = need_obj(payload, "issue", "github issues")
    repo = repo_name(issue, obj(payload, "repository"), None)
    if action in ("deleted", "transferred"):
        em.emit(
            ItemRemovedV1(
                **em.header(),
                item_id=issue_id(repo, issue),
                source_updated_at=instant(issue.get("updated_at")) or em.occurred_at,
            )
        )
        if action == "transferred":
            _transferred(em, payload, rules)
        return em.result()
    if action not in ITEM_ACTIONS:
        return em.result(f"github issues action '{action}' does not change tracked fields")
    item = item_changed(em, issue, repo, rules)
    em.emit(item)
    milestone = obj(issue, "milestone")
    if milestone:
        em.emit(release_changed(em, milestone, repo, rules))
    changes = obj(payload, "changes") or {}
    old_body = text(obj(changes, "body") or {}, "from")
    # Without a body diff we re-assert every reference: adding an edge twice is harmless.
    emit_body_references(em, item.item_id, old_body, text(issue, "body"), repo, rules)
    return em.result()


def _transferred(em: Emitter, payload: JsonObject, rules: SourceRules) -> None:
    """The issue lives on under a new number in another repository."""
    changes = obj(payload, "changes") or {}
    new_issue = obj(changes, "new_issue")
    if new_issue:
        new_repo = repo_name(new_issue, obj(changes, "new_repository"), None)
        em.emit(item_changed(em, new_issue, new_repo, rules))
