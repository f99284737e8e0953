"""What the scheduler's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from shared.events import Event

# Whether the caller believes ``(collection, key)`` is not stored yet: a hint for speed only.
BelievedNew = Callable[[str, str], bool]


class WorkStore(Protocol):
    async def apply(self, events: Sequence[Event], believed_new: BelievedNew = ...) -> list[Event]:
        """Project events idempotently; return those that were not stale."""
        ...

    async def documents(self, name: str, query: dict[str, Any]) -> list[dict[str, Any]]: ...

    async def plans_for(self, refs: Collection[str]) -> list[dict[str, Any]]:
        """Every schedule document naming one of these item refs."""
        ...

    async def items_known_as(self, refs: Collection[str]) -> list[dict[str, Any]]:
        """Item documents whose id, or ``github-node:`` / ``jira-id:`` global id, is a ref."""
        ...

    async def edges_touching(self, item_ids: Collection[str]) -> list[dict[str, Any]]:
        """Every dependency document (present or not) with one of these items at an end."""
        ...

    async def dependencies_between(
        self, pairs: Collection[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        """The dependency documents (present or not) of these (blocker, blocked) pairs."""
        ...

    async def present_edges_touching(self, item_ids: Collection[str]) -> list[dict[str, Any]]:
        """Every present dependency document with one of these items at an end."""
        ...

    async def removed_at(self, item_ids: Collection[str]) -> dict[str, datetime]:
        """The latest deletion time of each of these items that was ever deleted."""
        ...


class AssessmentStore(Protocol):
    async def save(self, documents: Sequence[dict[str, Any]], *, fresh: bool = False) -> None:
        """Replace each document (keyed by ``_id``) whole; ``fresh``: the caller believes none
        is stored yet (a hint for a cheaper write, never a different outcome)."""
        ...

    async def remove(self, item_ids: Sequence[str]) -> None: ...

    async def record(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append risk-history entries keyed by event id; a repeated id changes nothing."""
        ...

    async def all(self) -> list[dict[str, Any]]: ...

    def filling_empty(self) -> AbstractAsyncContextManager[None]:
        """Around writing every document into a store that holds none (a first start): the
        store may index them once written, not on each write; the outcome is the same."""
        ...


class ReleaseOutlookStore(Protocol):
    """Releases as projected, and what was last announced of each (``release_watch``)."""

    async def release_ids(self) -> set[str]:
        """Every release projected or ever recorded."""
        ...

    async def releases(self, ids: Collection[str]) -> dict[str, dict[str, Any]]: ...

    async def outlooks(self, ids: Collection[str]) -> dict[str, dict[str, Any]]: ...

    async def save(self, records: Sequence[dict[str, Any]], *, fresh: bool = False) -> None:
        """Replace each record (keyed by release id) whole; ``fresh`` ones are believed new."""
        ...


class Lease(Protocol):
    async def acquire(self, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
        """Hold ``name`` until ``now + ttl`` unless another live holder has it."""
        ...

    async def release(self, name: str, holder: str) -> None:
        """Give ``name`` up if ``holder`` has it, so another may take it at once."""
        ...


class RankMarksStore(Protocol):
    """The risk table's marks (``rank_marks``): the key of every ``every``-th row."""

    async def write(
        self, marks: Sequence[tuple[float, str]], every: int, rows: int, now: datetime
    ) -> None: ...
