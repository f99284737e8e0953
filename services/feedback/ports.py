"""What the feedback use cases need from their store."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.feedback.domain.demand import Demand
from services.feedback.domain.loops import Closure, WorkItem
from services.feedback.domain.organisations import Organisation
from services.feedback.domain.weighing import Ask
from shared.events import FeedbackReceivedV1, ItemChangedV1, LoopClosableV1, ReleaseChangedV1


@dataclass(frozen=True)
class Asked:
    """A live piece of feedback on an item as weighing reads it, and when it was first asked."""

    feedback_id: str
    feedback: Ask
    at: datetime


class FeedbackStore(Protocol):
    async def apply(self, events: Sequence[FeedbackReceivedV1]) -> set[str]:
        """Upsert feedback guarded by the source's clock; return the item ids it touched."""
        ...

    async def feedback_on(self, item_id: str) -> list[FeedbackReceivedV1]:
        """Live feedback on the item: the tool's links and manual links, less manual unlinks."""
        ...

    async def links_of(self, item_id: str) -> dict[str, bool]:
        """Manual decisions on the item: feedback id -> linked (True) or unlinked (False)."""
        ...

    async def one_feedback(self, feedback_id: str) -> FeedbackReceivedV1 | None: ...

    async def feedback_from(self, customer_id: str) -> list[FeedbackReceivedV1]: ...

    async def set_link(self, feedback_id: str, item_id: str, linked: bool, at: datetime) -> None:
        """A person's decision; it outlives later deliveries of the same feedback."""
        ...

    async def items_asked_by(self, domains: Collection[str], names: Collection[str]) -> set[str]:
        """Items with live feedback from these e-mail domains or these tool organisations."""
        ...

    async def demand(self, item_id: str) -> Demand | None: ...

    async def save_demand(self, item_id: str, demand: Demand) -> None: ...

    async def ranked_demand(
        self, limit: int, among: Collection[str] | None = None
    ) -> list[tuple[str, Demand]]:
        """Items (of ``among`` when given) with anyone waiting, heaviest demand first."""
        ...

    async def asked_on(self, item_ids: Collection[str]) -> dict[str, list[Asked]]:
        """Per item, its live feedback (as ``feedback_on``, by feedback id), with when each
        was first asked: what demand and surges are computed from.

        One read for all the items, whose cost does not grow with their feedback: a batch of
        feedback touches many items, and a popular item has thousands of pieces.
        """
        ...

    async def asked_times(self, item_id: str) -> list[datetime]:
        """When each piece of live feedback on the item was first asked, oldest first."""
        ...

    async def demands(self, item_ids: Collection[str]) -> dict[str, Demand]: ...

    async def save_demands(
        self, demands: Mapping[str, Demand], known: Collection[str] = ()
    ) -> None:
        """Save each item's demand (nobody waiting: none stored).

        ``known``: the items read as having a demand stored; the rest are believed to have
        none, which lets a store insert them rather than upsert (it must still be right if
        one exists after all).
        """
        ...

    async def last_surge(self, item_id: str) -> datetime | None: ...

    async def last_surges(self, item_ids: Collection[str]) -> dict[str, datetime]: ...

    async def save_surge(self, item_id: str, at: datetime) -> None: ...

    async def organisations(self) -> dict[str, Organisation]: ...

    async def save_organisation(self, organisation: Organisation) -> None: ...


class WorkProjection(Protocol):
    """Feedback's view of work items and releases, and the loops it has closed."""

    async def apply_items(self, events: Sequence[ItemChangedV1]) -> list[WorkItem]:
        """Guarded upserts; the items whose version was applied."""
        ...

    async def apply_releases(self, events: Sequence[ReleaseChangedV1]) -> list[str]:
        """Guarded upserts; the ids of releases applied in the released state."""
        ...

    async def items_in(self, release_id: str) -> list[WorkItem]: ...

    async def item(self, item_id: str) -> WorkItem | None: ...

    async def titles(self, item_ids: Collection[str]) -> dict[str, str]:
        """The titles of those of the items heard of with one."""
        ...

    async def released_among(self, release_ids: Collection[str]) -> set[str]:
        """Those of ``release_ids`` stored in the released state (one read for a batch)."""
        ...

    async def items_where(self, team: str | None, release: str | None) -> set[str]: ...

    async def closable_among(self, item_ids: Collection[str]) -> list[WorkItem]:
        """Those of the items that are done or in a release: whose loops may close."""
        ...

    async def closed(self, closures: Collection[Closure]) -> set[Closure]:
        """Those of ``closures`` already announced."""
        ...

    async def record(self, events: Sequence[LoopClosableV1]) -> None:
        """Remember announcements: a closure's first once (a re-decided one, naming more,
        changes nothing: the stream kept only the first), and each late one."""
        ...

    async def told(self, item_id: str) -> set[str]: ...
