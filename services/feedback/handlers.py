"""Project feedback and recompute the demand on every work item it mentions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.feedback.domain import demand_changed, demand_from
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


async def project_feedback(
    events: Sequence[FeedbackReceivedV1], store: FeedbackStore, now: datetime
) -> list[DemandChangedV1]:
    touched = await store.apply(events)
    changes = []
    for item_id in sorted(touched):
        after = demand_from(await store.customers_waiting_on(item_id))
        if not demand_changed(await store.demand(item_id), after):
            continue
        await store.save_demand(item_id, after)
        changes.append(
            DemandChangedV1(
                event_id=derive_event_id("demand", item_id, str(after.customers), now.isoformat()),
                occurred_at=now,
                source=Source.SLIPSTREAM,
                item_id=item_id,
                customers=after.customers,
                weight=after.weight,
            )
        )
    return changes
