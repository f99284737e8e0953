"""Events about work: items, the dependencies between them and the releases they ship in.

Ids name their tool (``jira:PAY-12``, ``github:acme/api#42``, ``linear:ENG-7``) so one graph
spans tools. ``source_updated_at`` is the source's own clock for the entity and guards
projections against redelivered or late events.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime

from shared.events.base import Event


class ItemStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class ScheduleField(StrEnum):
    START = "start"
    TARGET = "target"


class EdgeOrigin(StrEnum):
    """Where a dependency was stated, so a person can check it in the tool that said so."""

    JIRA_LINK = "jira-link"
    GITHUB_DEPENDENCY = "github-dependency"
    GITHUB_SUB_ISSUE = "github-sub-issue"
    LINEAR_RELATION = "linear-relation"
    TEXT_REFERENCE = "text-reference"
    STANDARD_WEBHOOK = "standard-webhook"


class ReleaseState(StrEnum):
    OPEN = "open"
    RELEASED = "released"
    DELETED = "deleted"


class ItemChangedV1(Event):
    """A work item was created or any field we track changed in its tool."""

    subject: ClassVar[str] = "work.item.changed.v1"

    item_id: str
    title: str
    status: ItemStatus
    source_updated_at: AwareDatetime
    team: str | None = None
    owner: str | None = None
    target: date | None = None
    start: date | None = None
    done_at: AwareDatetime | None = None
    release_id: str | None = None
    url: str | None = None
    labels: tuple[str, ...] = ()
    parent_id: str | None = None
    # The tool's global id (GitHub's GraphQL node id, Jira's numeric issue id), for events
    # that know only that; it stays when a Jira issue moves project and changes key.
    node_id: str | None = None


class ItemScheduleChangedV1(Event):
    """A planned start or target date was set or cleared outside the item (a project field)."""

    subject: ClassVar[str] = "work.item.schedule_changed.v1"

    # A canonical item id, or ``github-node:<node id>`` when the source names only that.
    item_ref: str
    fields: tuple[ScheduleField, ...]  # which of start/target this change sets
    source_updated_at: AwareDatetime
    start: date | None = None
    target: date | None = None


class ItemRemovedV1(Event):
    """A work item was deleted in its tool."""

    subject: ClassVar[str] = "work.item.removed.v1"

    item_id: str
    source_updated_at: AwareDatetime


class DependencyAddedV1(Event):
    """``blocked_id`` cannot finish before ``blocker_id`` does."""

    subject: ClassVar[str] = "work.dependency.added.v1"

    blocker_id: str
    blocked_id: str
    source_updated_at: AwareDatetime
    origin: EdgeOrigin | None = None  # None from producers that predate it


class DependencyRemovedV1(Event):
    """A blocking relation between two items was removed."""

    subject: ClassVar[str] = "work.dependency.removed.v1"

    blocker_id: str
    blocked_id: str
    source_updated_at: AwareDatetime
    origin: EdgeOrigin | None = None  # None from producers that predate it


class ReleaseChangedV1(Event):
    """A release (GitHub milestone, Jira version, Linear project) was created or changed."""

    subject: ClassVar[str] = "work.release.changed.v1"

    release_id: str
    name: str
    state: ReleaseState
    source_updated_at: AwareDatetime
    due: date | None = None
    team: str | None = None
    url: str | None = None
