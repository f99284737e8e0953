"""GitHub issues and milestones as canonical items and releases."""

from __future__ import annotations

import re

from services.ingest.domain.model import Emitter, SourceRules, Uninterpretable
from services.ingest.domain.reading import (
    JsonObject,
    day,
    instant,
    need_integer,
    need_text,
    obj,
    objs,
    text,
)
from services.ingest.domain.references import reference_changes
from shared.events import (
    DependencyAddedV1,
    DependencyRemovedV1,
    EdgeOrigin,
    ItemChangedV1,
    ItemStatus,
    ReleaseChangedV1,
    ReleaseState,
)

# Both the API form (api.github.com/repos/o/r) and the web form (github.com/o/r/issues/1).
_REPO_IN_URL = re.compile(r"^https://(?:api\.)?github\.com/(?:repos/)?([^/]+/[^/]+)")


def repo_name(issue: JsonObject, repo_field: JsonObject | None, fallback: str | None) -> str:
    """``owner/repo`` of an issue that may live outside the delivering repository."""
    if repo_field and text(repo_field, "full_name"):
        return need_text(repo_field, "full_name", "github repository")
    for key in ("repository_url", "html_url"):
        match = _REPO_IN_URL.match(text(issue, key) or "")
        if match:
            return match.group(1)
    if fallback:
        return fallback
    raise Uninterpretable("github issue: cannot tell which repository it belongs to")


def issue_id(repo: str, issue: JsonObject) -> str:
    return f"github:{repo}#{need_integer(issue, 'number', 'github issue')}"


def milestone_id(repo: str, milestone: JsonObject) -> str:
    return f"github:{repo}/milestone/{need_integer(milestone, 'number', 'github milestone')}"


def _team(repo: str, labels: tuple[str, ...], rules: SourceRules) -> str:
    prefix = rules.team_label_prefix.lower()
    for label in labels:
        if prefix and label.lower().startswith(prefix) and len(label) > len(prefix):
            return label[len(prefix) :].strip()
    return rules.github_teams.get(repo) or repo.split("/")[-1]


def _status(issue: JsonObject, labels: tuple[str, ...], rules: SourceRules) -> ItemStatus:
    if text(issue, "state") == "closed":
        return ItemStatus.DONE
    wanted = {name.lower() for name in rules.in_progress_labels}
    if any(label.lower() in wanted for label in labels):
        return ItemStatus.IN_PROGRESS
    if rules.assignee_means_in_progress and (obj(issue, "assignee") or objs(issue, "assignees")):
        return ItemStatus.IN_PROGRESS
    return ItemStatus.TODO


def _owner(issue: JsonObject) -> str | None:
    people = [obj(issue, "assignee"), *objs(issue, "assignees")]
    return next((text(p, "login") for p in people if p and text(p, "login")), None)


def item_changed(em: Emitter, issue: JsonObject, repo: str, rules: SourceRules) -> ItemChangedV1:
    labels = tuple(name for label in objs(issue, "labels") if (name := text(label, "name")))
    milestone = obj(issue, "milestone")
    status = _status(issue, labels, rules)
    return ItemChangedV1(
        **em.header(),
        item_id=issue_id(repo, issue),
        title=text(issue, "title") or "",
        status=status,
        source_updated_at=instant(issue.get("updated_at")) or em.occurred_at,
        team=_team(repo, labels, rules),
        owner=_owner(issue),
        target=day(milestone.get("due_on")) if milestone else None,
        done_at=instant(issue.get("closed_at")) if status is ItemStatus.DONE else None,
        release_id=milestone_id(repo, milestone) if milestone else None,
        url=text(issue, "html_url"),
        labels=labels,
        node_id=text(issue, "node_id"),
    )


def release_changed(
    em: Emitter, milestone: JsonObject, repo: str, rules: SourceRules, *, deleted: bool = False
) -> ReleaseChangedV1:
    state = ReleaseState.RELEASED if text(milestone, "state") == "closed" else ReleaseState.OPEN
    return ReleaseChangedV1(
        **em.header(),
        release_id=milestone_id(repo, milestone),
        name=text(milestone, "title") or "",
        state=ReleaseState.DELETED if deleted else state,
        source_updated_at=instant(milestone.get("updated_at")) or em.occurred_at,
        due=day(milestone.get("due_on")),
        team=rules.github_teams.get(repo) or repo.split("/")[-1],
        url=text(milestone, "html_url"),
    )


def emit_body_references(
    em: Emitter, item: str, old: str | None, new: str | None, repo: str, rules: SourceRules
) -> None:
    """Dependencies written in the issue body; an edit that drops one removes it."""
    added, removed = reference_changes(old, new, home_repo=repo, rules=rules)
    for refs, event in ((added, DependencyAddedV1), (removed, DependencyRemovedV1)):
        for ref in refs:
            if ref.other == item:
                continue
            blocker, blocked = (item, ref.other) if ref.other_is_blocked else (ref.other, item)
            em.emit(
                event(
                    **em.header(),
                    blocker_id=blocker,
                    blocked_id=blocked,
                    source_updated_at=em.occurred_at,
                    origin=EdgeOrigin.TEXT_REFERENCE,
                )
            )
