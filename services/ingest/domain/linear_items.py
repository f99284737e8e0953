"""Linear issues, relations, projects and project milestones as canonical events."""

from __future__ import annotations

from services.ingest.domain.github_issues import emit_body_references
from services.ingest.domain.model import Emitter, Normalised, SourceRules, Uninterpretable
from services.ingest.domain.reading import JsonObject, day, instant, integer, obj, objs, text
from shared.events import (
    DependencyAddedV1,
    DependencyRemovedV1,
    EdgeOrigin,
    ItemChangedV1,
    ItemStatus,
    ReleaseChangedV1,
    ReleaseState,
)

BLOCKING = "blocks"


def item_id(issue: JsonObject) -> str:
    identifier = text(issue, "identifier")
    team_key = text(obj(issue, "team") or {}, "key")
    number = integer(issue, "number")
    # Old deliveries lack "identifier"; it is always <team key>-<number>.
    if not identifier and team_key and number is not None:
        identifier = f"{team_key}-{number}"
    if not identifier:
        raise Uninterpretable("linear issue: no identifier (e.g. ENG-7) to name it by")
    return f"linear:{identifier}"


def _release_of(issue: JsonObject) -> str | None:
    # The milestone is the finer-grained date; the project is the release otherwise.
    milestone = text(issue, "projectMilestoneId")
    if milestone:
        return f"linear:milestone/{milestone}"
    project = text(issue, "projectId") or text(obj(issue, "project") or {}, "id")
    return f"linear:project/{project}" if project else None


def item_changed(
    em: Emitter, issue: JsonObject, previous: JsonObject | None, rules: SourceRules
) -> None:
    state = text(obj(issue, "state") or {}, "type") or "unstarted"
    status = rules.linear_state_types.get(state, ItemStatus.TODO)
    parent = obj(issue, "parent")
    assignee = obj(issue, "assignee")
    item = ItemChangedV1(
        **em.header(),
        item_id=item_id(issue),
        title=text(issue, "title") or "",
        status=status,
        source_updated_at=instant(issue.get("updatedAt")) or em.occurred_at,
        team=text(obj(issue, "team") or {}, "key"),
        owner=(text(assignee, "id") if assignee else None) or text(issue, "assigneeId"),
        target=day(issue.get("dueDate")),
        done_at=instant(issue.get("completedAt")) or instant(issue.get("canceledAt"))
        if status is ItemStatus.DONE
        else None,
        release_id=_release_of(issue),
        url=text(issue, "url"),
        labels=tuple(name for label in objs(issue, "labels") if (name := text(label, "name"))),
        parent_id=item_id(parent) if parent and text(parent, "identifier") else None,
    )
    em.emit(item)
    # updatedFrom holds a key only for fields that changed; absent means re-assert.
    old = text(previous, "description") if previous and "description" in previous else None
    emit_body_references(em, item.item_id, old, text(issue, "description"), "", rules)


def _related(data: JsonObject, key: str) -> str:
    issue = obj(data, key)
    if not issue or not text(issue, "identifier"):
        raise Uninterpretable(f"linear IssueRelation: '{key}' has no identifier to name it by")
    return item_id(issue)


def relation(em: Emitter, data: JsonObject, previous: JsonObject | None, action: str) -> Normalised:
    """``type: blocks`` means ``issue`` blocks ``relatedIssue``."""
    was_blocking = text(previous or {}, "type") == BLOCKING
    is_blocking = text(data, "type") == BLOCKING
    if action == "update" and was_blocking != is_blocking:
        added = is_blocking
    elif is_blocking and action in ("create", "remove"):
        added = action == "create"
    else:
        return em.result(f"linear IssueRelation type '{text(data, 'type')}' is not blocking")
    event = DependencyAddedV1 if added else DependencyRemovedV1
    em.emit(
        event(
            **em.header(),
            blocker_id=_related(data, "issue"),
            blocked_id=_related(data, "relatedIssue"),
            source_updated_at=instant(data.get("updatedAt")) or em.occurred_at,
            origin=EdgeOrigin.LINEAR_RELATION,
        )
    )
    return em.result()


def release_changed(
    em: Emitter, kind: str, data: JsonObject, url: str | None, *, removed: bool
) -> ReleaseChangedV1:
    prefix = "project" if kind == "Project" else "milestone"
    identifier = text(data, "id")
    if not identifier:
        raise Uninterpretable(f"linear {kind}: missing id")
    state = ReleaseState.OPEN
    if removed or data.get("canceledAt") or text(data, "state") == "canceled":
        state = ReleaseState.DELETED
    elif data.get("completedAt") or text(data, "state") == "completed":
        state = ReleaseState.RELEASED
    return ReleaseChangedV1(
        **em.header(),
        release_id=f"linear:{prefix}/{identifier}",
        name=text(data, "name") or "",
        state=state,
        source_updated_at=instant(data.get("updatedAt")) or em.occurred_at,
        due=day(data.get("targetDate")),
        url=url or text(data, "url"),
    )
