"""The vocabulary every source adapter shares: a delivery in, canonical events out."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypedDict

from shared.events import Event, ItemStatus, Source, derive_event_id


@dataclass(frozen=True)
class Delivery:
    """One webhook request as received: raw bytes, because signatures cover the exact bytes."""

    source: str
    headers: Mapping[str, str]  # names lower-cased by the HTTP layer
    body: bytes
    received_at: datetime  # aware UTC

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        value = self.headers.get(wanted)
        if value is not None:
            return value
        # Tolerate a caller that forgot to lower-case: a missed header would read as forged.
        for key, candidate in self.headers.items():
            if key.lower() == wanted:
                return candidate
        return None


class VerificationFailed(Exception):
    """The delivery is not provably from the vendor (answer 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Uninterpretable(Exception):
    """Authentic JSON we cannot turn into events (answer 422, keep and dead-letter it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Normalised:
    """What one delivery means; ``ignored`` says why when it means nothing to us."""

    delivery_id: str
    events: tuple[Event, ...]
    ignored: str | None = None


def _default_jira_categories() -> dict[str, ItemStatus]:
    # Jira's three fixed status-category keys; every workflow status belongs to one.
    return {
        "new": ItemStatus.TODO,
        "indeterminate": ItemStatus.IN_PROGRESS,
        "done": ItemStatus.DONE,
    }


def _default_linear_states() -> dict[str, ItemStatus]:
    return {
        "triage": ItemStatus.TODO,
        "backlog": ItemStatus.TODO,
        "unstarted": ItemStatus.TODO,
        "started": ItemStatus.IN_PROGRESS,
        "completed": ItemStatus.DONE,
        "canceled": ItemStatus.DONE,
    }


@dataclass(frozen=True)
class SourceRules:
    """Per-organisation mapping choices; the defaults suit a team that configured nothing.

    Names (labels, statuses, field names) are compared case-insensitively.
    """

    in_progress_labels: frozenset[str] = frozenset({"in progress", "in-progress", "doing", "wip"})
    assignee_means_in_progress: bool = False
    team_label_prefix: str = "team:"
    github_teams: Mapping[str, str] = field(default_factory=dict)  # "owner/repo" -> team
    start_field_names: frozenset[str] = frozenset({"start", "start date"})
    target_field_names: frozenset[str] = frozenset(
        {"target", "target date", "due", "due date", "end date"}
    )
    jira_status_categories: Mapping[str, ItemStatus] = field(
        default_factory=_default_jira_categories
    )
    jira_statuses: Mapping[str, ItemStatus] = field(default_factory=dict)  # by name; wins
    jira_start_field: str = "customfield_10015"  # Jira Cloud's built-in "Start date"
    jira_team_field: str | None = None  # e.g. the Atlassian Team custom field id
    jira_link_types: frozenset[str] = frozenset({"blocks"})  # issue-link type names
    # How the changelog words a link from this side: "This issue blocks PAY-3".
    jira_link_outward: frozenset[str] = frozenset({"blocks"})
    jira_link_inward: frozenset[str] = frozenset({"is blocked by"})
    linear_state_types: Mapping[str, ItemStatus] = field(default_factory=_default_linear_states)
    linear_team_keys: frozenset[str] = frozenset()  # bare "ENG-7" with these keys means Linear
    timestamp_tolerance_seconds: int = 300


class Envelope(TypedDict):
    event_id: str
    occurred_at: datetime
    source: Source
    delivery_id: str


class Emitter:
    """Numbers the events of one delivery so a vendor retry derives the same event ids."""

    def __init__(self, source: Source, delivery_id: str, occurred_at: datetime) -> None:
        self.source = source
        self.delivery_id = delivery_id
        self.occurred_at = occurred_at
        self.events: list[Event] = []

    def envelope(self) -> Envelope:
        index = str(len(self.events))
        return Envelope(
            event_id=derive_event_id(self.source.value, self.delivery_id, index),
            occurred_at=self.occurred_at,
            source=self.source,
            delivery_id=self.delivery_id,
        )

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def result(self, ignored: str | None = None) -> Normalised:
        return Normalised(self.delivery_id, tuple(self.events), ignored)


def body_digest(body: bytes) -> str:
    """Stand-in delivery id for vendors that send none: a retry carries the same bytes."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


class SourceAdapter(Protocol):
    """What the HTTP layer needs from each vendor."""

    name: str

    def verify(self, delivery: Delivery, secrets: Sequence[str], now: datetime) -> None: ...

    def delivery_id(self, delivery: Delivery, payload: Mapping[str, object]) -> str: ...

    def normalise(
        self,
        delivery: Delivery,
        payload: Mapping[str, object],
        delivery_id: str,
        rules: SourceRules,
    ) -> Normalised: ...
