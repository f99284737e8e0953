"""GitHub relations between issues: dependencies, sub-issues, and project date fields.

Sub-issues become dependencies (the sub-issue blocks its parent) rather than
``ItemChangedV1.parent_id``: ordinary ``issues`` deliveries do not say who the parent is,
so a parent id set here would be wiped by the next edit of the child. An edge has its own
add/remove lifecycle and feeds the risk engine directly: a parent cannot be done before
its children are.
"""

from __future__ import annotations

from services.ingest.domain.github_issues import issue_id, repo_name
from services.ingest.domain.model import Emitter, Normalised, SourceRules
from services.ingest.domain.reading import JsonObject, day, instant, need_obj, obj, text
from shared.events import (
    DependencyAddedV1,
    DependencyRemovedV1,
    EdgeOrigin,
    ItemScheduleChangedV1,
    ScheduleField,
)

DEPENDENCY_ACTIONS = frozenset(
    {"blocked_by_added", "blocked_by_removed", "blocking_added", "blocking_removed"}
)
SUB_ISSUE_ACTIONS = frozenset(
    {"sub_issue_added", "sub_issue_removed", "parent_issue_added", "parent_issue_removed"}
)


def _edge(em: Emitter, added: bool, blocker: str, blocked: str, origin: EdgeOrigin) -> Normalised:
    event = DependencyAddedV1 if added else DependencyRemovedV1
    # The edge has no clock of its own; the delivery time orders add against remove.
    em.emit(
        event(
            **em.header(),
            blocker_id=blocker,
            blocked_id=blocked,
            source_updated_at=em.occurred_at,
            origin=origin,
        )
    )
    return em.result()


def _issue_ref(payload: JsonObject, key: str, home: str | None) -> str:
    issue = need_obj(payload, key, "github issue relation")
    # The related issue may sit in another repository; GitHub then names it in *_repo.
    return issue_id(repo_name(issue, obj(payload, f"{key}_repo"), home), issue)


def emit_dependency(em: Emitter, payload: JsonObject, action: str, home: str | None) -> Normalised:
    if action not in DEPENDENCY_ACTIONS:
        return em.result(f"github issue_dependencies action '{action}' not handled")
    blocked_key = "blocked_issue" if obj(payload, "blocked_issue") else "issue"
    blocked = _issue_ref(payload, blocked_key, home)
    blocker = _issue_ref(payload, "blocking_issue", home)
    return _edge(em, action.endswith("_added"), blocker, blocked, EdgeOrigin.GITHUB_DEPENDENCY)


def emit_sub_issue(em: Emitter, payload: JsonObject, action: str, home: str | None) -> Normalised:
    if action not in SUB_ISSUE_ACTIONS:
        return em.result(f"github sub_issues action '{action}' not handled")
    parent = _issue_ref(payload, "parent_issue", home)
    child = _issue_ref(payload, "sub_issue", home)
    return _edge(em, action.endswith("_added"), child, parent, EdgeOrigin.GITHUB_SUB_ISSUE)


def emit_project_schedule(
    em: Emitter, payload: JsonObject, action: str, rules: SourceRules
) -> Normalised:
    """A project's start/target date field edit, naming the issue by its GraphQL node id.

    The delivery names its issue only by ``content_node_id``; turning that into
    ``github:<owner>/<repo>#<n>`` would need an API call, so the event carries the node id
    and the scheduler resolves it against the ``node_id`` its issues arrive with.
    """
    change = project_date_change(payload, rules)
    if change is None:
        return em.result(
            f"github projects_v2_item action '{action}' changes no start/target date field"
        )
    node, kind, new = change
    item = obj(payload, "projects_v2_item") or {}
    content = text(item, "content_type") or "Issue"
    if content != "Issue":
        # Draft issues and pull requests never become work items, so no item could use it.
        return em.result(f"github projects_v2_item date on a {content}, which is not tracked")
    when = day(new)  # None when the field was cleared
    em.emit(
        ItemScheduleChangedV1(
            **em.header(),
            item_ref=f"github-node:{node}",
            fields=(ScheduleField(kind),),
            source_updated_at=instant(item.get("updated_at")) or em.occurred_at,
            start=when if kind == "start" else None,
            target=when if kind == "target" else None,
        )
    )
    return em.result()


def project_date_change(
    payload: JsonObject, rules: SourceRules
) -> tuple[str, str, str | None] | None:
    """(content node id, "start" or "target", new ISO date or None) for a date-field edit."""
    item = obj(payload, "projects_v2_item") or {}
    value = obj(obj(payload, "changes") or {}, "field_value") or {}
    name = (text(value, "field_name") or "").lower()
    node = text(item, "content_node_id")
    if text(value, "field_type") != "date" or not node:
        return None
    starts = {n.lower() for n in rules.start_field_names}
    targets = {n.lower() for n in rules.target_field_names}
    kind = "start" if name in starts else "target" if name in targets else None
    if kind is None:
        return None
    new = value.get("to")
    return node, kind, new[:10] if isinstance(new, str) and new else None
