"""In-memory fakes of the services' ports, shared by unit and component tests."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from services.feedback.domain.demand import Demand
from services.feedback.domain.organisations import Organisation
from shared.events import FeedbackReceivedV1


def as_bson_keeps(value: Any) -> Any:
    """A datetime cut to the millisecond, as BSON stores it; anything else as it is.

    The fakes compare and hand back clocks as MongoDB would, so two versions within one
    millisecond resolve the same way against a fake as against the real store.
    """
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


class InMemoryOutbox:
    """The notifier's outbox as its subscribers see it: rows recorded once per id."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def record_all(self, messages: list[dict[str, Any]], now: datetime) -> int:
        new = [m for m in messages if m["_id"] not in self.rows]
        self.rows |= {m["_id"]: {**m, "status": "pending", "due_at": now} for m in new}
        return len(new)


class InMemoryFeedbackStore:
    def __init__(self) -> None:
        self.feedback: dict[str, FeedbackReceivedV1] = {}
        self.demands: dict[str, Demand] = {}
        self.links: dict[tuple[str, str], bool] = {}
        self.known: dict[str, Organisation] = {}

    async def apply(self, events: Sequence[FeedbackReceivedV1]) -> set[str]:
        touched: set[str] = set()
        for event in events:
            known = self.feedback.get(event.feedback_id)
            if known and as_bson_keeps(known.source_updated_at) > event.source_updated_at:
                continue
            touched.update(known.item_ids if known else ())
            touched.update(event.item_ids)
            self.feedback[event.feedback_id] = event
        return touched

    async def links_of(self, item_id: str) -> dict[str, bool]:
        return {f: linked for (f, i), linked in self.links.items() if i == item_id}

    async def feedback_on(self, item_id: str) -> list[FeedbackReceivedV1]:
        decided = await self.links_of(item_id)
        return [
            f
            for _, f in sorted(self.feedback.items())
            if not f.retracted and decided.get(f.feedback_id, item_id in f.item_ids)
        ]

    async def one_feedback(self, feedback_id: str) -> FeedbackReceivedV1 | None:
        return self.feedback.get(feedback_id)

    async def feedback_from(self, customer_id: str) -> list[FeedbackReceivedV1]:
        return [f for _, f in sorted(self.feedback.items()) if f.customer_id == customer_id]

    async def set_link(self, feedback_id: str, item_id: str, linked: bool, at: datetime) -> None:
        self.links[(feedback_id, item_id)] = linked

    async def items_asked_by(self, domains: Collection[str], names: Collection[str]) -> set[str]:
        asked = [
            f
            for f in self.feedback.values()
            if not f.retracted
            and (f.organisation in names or f.customer_id.rsplit("@", 1)[-1] in domains)
        ]
        manual = {
            i for (f, i), yes in self.links.items() if yes and f in {a.feedback_id for a in asked}
        }
        return {i for f in asked for i in f.item_ids} | manual

    async def demand(self, item_id: str) -> Demand | None:
        return self.demands.get(item_id)

    async def save_demand(self, item_id: str, demand: Demand) -> None:
        self.demands[item_id] = demand

    async def ranked_demand(self, limit: int) -> list[tuple[str, Demand]]:
        live = [(i, d) for i, d in self.demands.items() if d.customers > 0]
        return sorted(live, key=lambda pair: (-pair[1].weight, pair[0]))[:limit]

    async def organisations(self) -> dict[str, Organisation]:
        return dict(self.known)

    async def save_organisation(self, organisation: Organisation) -> None:
        self.known[organisation.organisation_id] = organisation
