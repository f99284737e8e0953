"""Project feedback and recompute the demand on every work item it touches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from opentelemetry import trace

from services.feedback.domain.demand import demand_changed
from services.feedback.domain.organisations import Organisation
from services.feedback.domain.weighing import DemandRules, Directory
from services.feedback.ports import FeedbackStore
from shared.dispatch import Dispatch
from shared.events import DemandChangedV1, FeedbackReceivedV1, Source, derive_event_id
from shared.events.streams import FeedbackEvent


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

    async def directory(self) -> Directory:
        # The API's edits (stored) win over the file, which only seeds what nobody changed.
        return Directory({**self.from_file, **await self.store.organisations()})

    async def recompute(self, item_ids: Iterable[str], now: datetime) -> list[DemandChangedV1]:
        """Save and announce the demand on each item whose demand moved."""
        directory = await self.directory()
        changes = []
        for item_id in sorted(set(item_ids)):
            after = self.rules.weigh(await self.store.feedback_on(item_id), directory)
            if not demand_changed(await self.store.demand(item_id), after):
                continue
            await self.store.save_demand(item_id, after)
            changes.append(
                DemandChangedV1(
                    event_id=derive_event_id("demand", item_id, str(after), now.isoformat()),
                    occurred_at=now,
                    source=Source.SLIPSTREAM,
                    item_id=item_id,
                    customers=after.customers,
                    weight=after.weight,
                    organisations=after.organisations,
                    arr_waiting=after.arr_waiting,
                )
            )
        return changes


async def project_feedback(
    events: Sequence[FeedbackReceivedV1],
    store: FeedbackStore,
    now: datetime,
    weighing: Weighing | None = None,
) -> list[DemandChangedV1]:
    touched = await store.apply(events)
    changes = await (weighing or Weighing(store)).recompute(touched, now)
    span = trace.get_current_span()
    span.set_attribute("slipstream.feedback.items_touched", len(touched))
    span.set_attribute("slipstream.feedback.demand_changes", len(changes))
    return changes
