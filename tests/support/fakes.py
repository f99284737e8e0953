"""In-memory fakes of the services' ports, shared by unit and component tests."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from services.feedback.domain.counting import counted_on
from services.feedback.domain.demand import Demand
from services.feedback.domain.loops import Closure, WorkItem, record_key
from services.feedback.domain.organisations import Organisation, organisation_id
from services.feedback.domain.weighing import Ask
from services.feedback.ports import Asked
from shared.events import (
    FeedbackReceivedV1,
    ItemChangedV1,
    ItemStatus,
    LoopClosableV1,
    ReleaseChangedV1,
    ReleaseState,
)


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

    async def record_claimed(
        self, messages: list[dict[str, Any]], now: datetime
    ) -> list[dict[str, Any]]:
        new = [
            {**m, "status": "pending", "due_at": now} for m in messages if m["_id"] not in self.rows
        ]
        self.rows |= {m["_id"]: m for m in new}
        return new


class InMemoryFeedbackStore:
    def __init__(self) -> None:
        self.feedback: dict[str, FeedbackReceivedV1] = {}
        self.demands_by_item: dict[str, Demand] = {}
        self.links: dict[tuple[str, str], bool] = {}
        self.known: dict[str, Organisation] = {}
        self.first_asked: dict[str, datetime] = {}
        self.surges: dict[str, datetime] = {}
        self.ever_on: dict[str, set[str]] = {}

    async def apply(self, events: Sequence[FeedbackReceivedV1]) -> set[str]:
        # As the real store: every item a piece ever named or a person decided on.
        touched: set[str] = set()
        for event in events:
            known = self.feedback.get(event.feedback_id)
            if known and as_bson_keeps(known.source_updated_at) > event.source_updated_at:
                continue
            ever = self.ever_on.setdefault(event.feedback_id, set())
            ever.update(event.item_ids)
            decided = {i for (f, i) in self.links if f == event.feedback_id}
            touched |= ever | decided
            self.feedback[event.feedback_id] = event
            at = as_bson_keeps(event.source_updated_at)
            self.first_asked[event.feedback_id] = min(
                self.first_asked.get(event.feedback_id, at), at
            )
        return touched

    async def links_of(self, item_id: str) -> dict[str, bool]:
        return {f: linked for (f, i), linked in self.links.items() if i == item_id}

    async def feedback_on(self, item_id: str) -> list[FeedbackReceivedV1]:
        decided = await self.links_of(item_id)
        return [
            f
            for _, f in sorted(self.feedback.items())
            if item_id
            in counted_on(
                f.item_ids,
                f.retracted,
                {item_id: decided[f.feedback_id]} if f.feedback_id in decided else {},
            )
        ]

    async def one_feedback(self, feedback_id: str) -> FeedbackReceivedV1 | None:
        return self.feedback.get(feedback_id)

    async def feedback_from(self, customer_id: str) -> list[FeedbackReceivedV1]:
        return [f for _, f in sorted(self.feedback.items()) if f.customer_id == customer_id]

    async def set_link(self, feedback_id: str, item_id: str, linked: bool, at: datetime) -> None:
        self.links[(feedback_id, item_id)] = linked

    async def items_asked_by(self, domains: Collection[str], names: Collection[str]) -> set[str]:
        keys = {organisation_id(n) for n in names}
        asked = [
            f
            for f in self.feedback.values()
            if not f.retracted
            and (
                (f.organisation and organisation_id(f.organisation) in keys)
                or ("@" in f.customer_id and f.customer_id.rsplit("@", 1)[-1].lower() in domains)
            )
        ]
        manual = {
            i for (f, i), yes in self.links.items() if yes and f in {a.feedback_id for a in asked}
        }
        return {i for f in asked for i in f.item_ids} | manual

    async def demand(self, item_id: str) -> Demand | None:
        return self.demands_by_item.get(item_id)

    async def save_demand(self, item_id: str, demand: Demand) -> None:
        if demand.customers == 0:
            self.demands_by_item.pop(item_id, None)
        else:
            self.demands_by_item[item_id] = demand

    async def ranked_demand(
        self, limit: int, among: Collection[str] | None = None
    ) -> list[tuple[str, Demand]]:
        live = [
            (i, d)
            for i, d in self.demands_by_item.items()
            if d.customers > 0 and (among is None or i in among)
        ]
        return sorted(live, key=lambda pair: (-pair[1].weight, pair[0]))[:limit]

    async def organisations(self) -> dict[str, Organisation]:
        return dict(self.known)

    async def save_organisation(self, organisation: Organisation) -> None:
        self.known[organisation.organisation_id] = organisation

    async def asked_on(self, item_ids: Collection[str]) -> dict[str, list[Asked]]:
        return {
            i: [
                Asked(f.feedback_id, Ask.of(f), self.first_asked[f.feedback_id])
                for f in await self.feedback_on(i)
            ]
            for i in sorted(set(item_ids))
        }

    async def asked_times(self, item_id: str) -> list[datetime]:
        return sorted(a.at for a in (await self.asked_on([item_id]))[item_id])

    async def demands(self, item_ids: Collection[str]) -> dict[str, Demand]:
        return {i: self.demands_by_item[i] for i in item_ids if i in self.demands_by_item}

    async def save_demands(
        self, demands: Mapping[str, Demand], known: Collection[str] = ()
    ) -> None:
        for item_id, demand in demands.items():
            await self.save_demand(item_id, demand)

    async def last_surges(self, item_ids: Collection[str]) -> dict[str, datetime]:
        return {i: self.surges[i] for i in item_ids if i in self.surges}

    async def last_surge(self, item_id: str) -> datetime | None:
        return self.surges.get(item_id)

    async def save_surge(self, item_id: str, at: datetime) -> None:
        self.surges[item_id] = max(self.surges.get(item_id, at), at)


class InMemoryWorkProjection:
    def __init__(self) -> None:
        self.items: dict[str, tuple[datetime, WorkItem]] = {}
        self.releases: dict[str, tuple[datetime, str]] = {}
        self.closures: dict[str, set[str]] = {}

    async def apply_items(self, events: Sequence[ItemChangedV1]) -> list[WorkItem]:
        applied: dict[str, WorkItem] = {}
        for e in events:
            at = as_bson_keeps(e.source_updated_at)
            if e.item_id in self.items and self.items[e.item_id][0] > at:
                continue
            item = WorkItem(e.item_id, e.status.value, e.title, e.team, e.release_id)
            self.items[e.item_id] = (at, item)
            applied[e.item_id] = item
        return [applied[k] for k in sorted(applied)]

    async def apply_releases(self, events: Sequence[ReleaseChangedV1]) -> list[str]:
        applied = set()
        for e in events:
            at = as_bson_keeps(e.source_updated_at)
            if e.release_id in self.releases and self.releases[e.release_id][0] > at:
                continue
            self.releases[e.release_id] = (at, e.state.value)
            applied.add(e.release_id)
        return sorted(await self.released_among(applied))

    async def items_in(self, release_id: str) -> list[WorkItem]:
        return sorted(
            (i for _, i in self.items.values() if i.release_id == release_id),
            key=lambda i: i.item_id,
        )

    async def item(self, item_id: str) -> WorkItem | None:
        found = self.items.get(item_id)
        return None if found is None else found[1]

    async def titles(self, item_ids: Collection[str]) -> dict[str, str]:
        found = (self.items[i][1] for i in item_ids if i in self.items)
        return {item.item_id: item.title for item in found if item.title}

    async def released_among(self, release_ids: Collection[str]) -> set[str]:
        released = ReleaseState.RELEASED.value
        return {r for r in release_ids if r in self.releases and self.releases[r][1] == released}

    async def items_where(self, team: str | None, release: str | None) -> set[str]:
        return {
            i.item_id
            for _, i in self.items.values()
            if (team is None or i.team == team) and (release is None or i.release_id == release)
        }

    async def closed(self, closures: Collection[Closure]) -> set[Closure]:
        return {c for c in closures if c.key in self.closures}

    async def closable_among(self, item_ids: Collection[str]) -> list[WorkItem]:
        found = [self.items[i][1] for i in sorted(set(item_ids)) if i in self.items]
        return [i for i in found if i.status == ItemStatus.DONE.value or i.release_id]

    async def record(self, events: Sequence[LoopClosableV1]) -> None:
        for e in events:
            key = record_key(Closure(e.item_id, e.because, e.release_id), e.event_id)
            told = {f for c in e.customers for f in c.feedback_ids}
            self.closures.setdefault(key, told)

    async def told(self, item_id: str) -> set[str]:
        return {
            f for key, told in self.closures.items() if key.split(" ")[0] == item_id for f in told
        }
