"""Project feedback and recompute the demand on every work item it touches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from opentelemetry import trace

from services.feedback.domain.demand import Demand, demand_changed
from services.feedback.domain.organisations import Organisation
from services.feedback.domain.surges import Rate, SurgePolicy, surge_to_announce
from services.feedback.domain.tag_rules import TagRules
from services.feedback.domain.weighing import DemandRules, Directory
from services.feedback.ports import FeedbackStore
from shared.dispatch import Dispatch
from shared.events import (
    DemandChangedV1,
    DemandSurgedV1,
    Event,
    FeedbackReceivedV1,
    Source,
    derive_event_id,
)
from shared.events.streams import FeedbackEvent

# Publishes what a recompute decided (the subscriber's and the API's publisher).
Announce = Callable[[Sequence[Event]], Awaitable[None]]
# What the items are called, as feedback's projection of work heard it (``WorkProjection``).
Titles = Callable[[Collection[str]], Awaitable[dict[str, str]]]


async def no_titles(item_ids: Collection[str]) -> dict[str, str]:
    return {}


def received(event: FeedbackReceivedV1) -> FeedbackReceivedV1:
    return event


# What each event the feedback consumer takes contributes to the batch's feedback records.
FEEDBACK_RECORDS: Dispatch[FeedbackReceivedV1] = Dispatch(
    "feedback records", FeedbackEvent, {FeedbackReceivedV1: received}
)


@dataclass(frozen=True)
class Weighing:
    """The store, the rules, and the organisations file: everything demand is computed from."""

    store: FeedbackStore
    rules: DemandRules = field(default_factory=DemandRules)
    from_file: Mapping[str, Organisation] = field(default_factory=dict)
    surges: SurgePolicy = field(default_factory=SurgePolicy)
    tags: TagRules = field(default_factory=TagRules)
    # Only for the message a surge becomes; demand never depends on a title.
    titles: Titles = no_titles

    async def directory(self) -> Directory:
        # The API's edits (stored) win over the file, which only seeds what nobody changed.
        return Directory({**self.from_file, **await self.store.organisations()})

    async def recompute(
        self, item_ids: Iterable[str], now: datetime, announce: Announce | None = None
    ) -> list[Event]:
        """Save and announce the demand on each item whose demand moved, and any surge.

        ``announce`` runs before anything is saved: were it to fail, the redelivered batch
        decides the same changes again instead of finding them saved and announcing nothing.
        Reads and writes are per batch, not per item: a batch of feedback touches many.
        """
        items = sorted(set(item_ids))
        if not items:
            return []
        directory = await self.directory()
        asked = await self.store.asked_on(items)
        before = await self.store.demands(items)
        last = await self.store.last_surges(items)
        changes: list[Event] = []
        moved: dict[str, Demand] = {}
        surging: list[tuple[str, Rate, Demand]] = []
        for item_id in items:
            after = self.rules.weigh([a.feedback for a in asked[item_id]], directory)
            if demand_changed(before.get(item_id), after):
                moved[item_id] = after
                changes.append(demand_event(item_id, after, now))
            times = [a.at for a in asked[item_id]]
            found = surge_to_announce(times, now, last.get(item_id), self.surges)
            if found is not None:
                surging.append((item_id, found, after))
        # Read only when something surges (rarely): a batch of feedback costs no extra read.
        titles = await self.titles([item_id for item_id, _, _ in surging]) if surging else {}
        for item_id, found, after in surging:
            changes.append(self.surged(item_id, found, after, now, titles.get(item_id)))
        if announce is not None and changes:
            await announce(changes)
        await self.store.save_demands(moved, known=before.keys())
        for event in changes:
            if isinstance(event, DemandSurgedV1):
                await self.store.save_surge(event.item_id, now)
        return changes

    def surged(
        self, item_id: str, found: Rate, demand: Demand, now: datetime, title: str | None
    ) -> DemandSurgedV1:
        window = self.surges.window.total_seconds()
        return DemandSurgedV1(
            # One id per item and window: a retried batch in the same window is one event.
            event_id=derive_event_id("surge", item_id, str(int(now.timestamp() // window))),
            occurred_at=now,
            source=Source.SLIPSTREAM,
            item_id=item_id,
            recent=found.recent,
            baseline=found.baseline,
            window_seconds=window,
            customers=demand.customers,
            organisations=demand.organisations,
            weight=demand.weight,
            title=title,
        )


def demand_event(item_id: str, after: Demand, now: datetime) -> DemandChangedV1:
    return DemandChangedV1(
        event_id=derive_event_id("demand", item_id, str(after), now.isoformat()),
        occurred_at=now,
        source=Source.SLIPSTREAM,
        item_id=item_id,
        customers=after.customers,
        weight=after.weight,
        organisations=after.organisations,
        arr_waiting=after.arr_waiting,
    )


async def project_feedback(
    events: Sequence[FeedbackReceivedV1],
    store: FeedbackStore,
    now: datetime,
    weighing: Weighing | None = None,
    announce: Announce | None = None,
) -> list[Event]:
    weighing = weighing or Weighing(store)
    touched = await store.apply([weighing.tags.linked(e) for e in events])
    changes = await weighing.recompute(touched, now, announce)
    span = trace.get_current_span()
    span.set_attribute("slipstream.feedback.items_touched", len(touched))
    span.set_attribute("slipstream.feedback.demand_changes", len(changes))
    span.set_attribute(
        "slipstream.feedback.surges", sum(isinstance(c, DemandSurgedV1) for c in changes)
    )
    return changes
