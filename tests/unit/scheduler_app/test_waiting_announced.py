"""A risk change says who waits on its item, as feedback last reported it."""

from __future__ import annotations

import pytest

from shared.events import DemandChangedV1
from tests.unit.scheduler_app.support import at, item
from tests.unit.scheduler_app.test_announcing import BLOCKED, Harness

pytestmark = pytest.mark.unit


def demand(item_id: str, customers: int, organisations: int | None) -> DemandChangedV1:
    return DemandChangedV1(
        event_id=f"demand-{item_id}-{customers}",
        occurred_at=at(0),
        source="slipstream",
        item_id=item_id,
        customers=customers,
        organisations=organisations,
        weight=float(customers),
    )


async def test_an_announced_item_says_how_many_customers_and_organisations_wait() -> None:
    harness = Harness()
    harness.announcer.work = harness.store
    await harness.feed([demand("jira:A", 3, 2), item("jira:LONE", 1, target=-2)])
    await harness.feed(BLOCKED)

    (waited_on,) = harness.publisher.risk("jira:A")
    (alone,) = harness.publisher.risk("jira:LONE")
    assert (waited_on.customers, waited_on.organisations) == (3, 2)
    assert (alone.customers, alone.organisations) == (None, None), "nobody waits on it"


async def test_saying_who_waits_leaves_the_announcements_id_as_it_was() -> None:
    told, untold = Harness(), Harness()
    told.announcer.work = told.store
    for harness in (told, untold):
        await harness.feed([demand("jira:A", 1, None), *BLOCKED])

    (with_waiting,) = told.publisher.risk("jira:A")
    (without,) = untold.publisher.risk("jira:A")
    assert with_waiting.customers == 1
    assert with_waiting.event_id == without.event_id
    assert told.assessments.history[with_waiting.event_id]["level"] == "off_track"
