"""Every event a consumer can receive has a handler in each of its dispatch tables."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from services.feedback.closing import WORK_KEPT
from services.feedback.handlers import FEEDBACK_RECORDS
from services.ingest.domain import SOURCES
from services.notifier.handlers import CHANGES_TO_NOTIFY
from services.scheduler.engine_feed import APPLY_TO_PORTFOLIO, REFERENCED_ITEMS
from services.scheduler.projections import WRITES
from shared.dispatch import Dispatch, IncompleteDispatch, members
from shared.events import (
    ALL_EVENTS,
    DemandChangedV1,
    DemandSurgedV1,
    Event,
    ItemChangedV1,
    LoopClosableV1,
    ReleaseRiskChangedV1,
    Source,
)
from shared.events.streams import (
    FeedbackEvent,
    NotifierEvent,
    RiskEvent,
    SchedulerEvent,
    WorkEvent,
)
from shared.subjects import (
    FEEDBACK_RECEIVED,
    NOTIFIER_DEMAND_SURGED,
    NOTIFIER_LOOP_CLOSABLE,
    NOTIFIER_RELEASE_RISK,
    NOTIFIER_RISK,
    SCHEDULER_DEMAND,
    SCHEDULER_WORK,
)

pytestmark = pytest.mark.unit

CONSUMERS = {
    SCHEDULER_WORK.filter_subject: WorkEvent,
    SCHEDULER_DEMAND.filter_subject: DemandChangedV1,
    FEEDBACK_RECEIVED.filter_subject: FeedbackEvent,
    NOTIFIER_RISK.filter_subject: RiskEvent,
    NOTIFIER_RELEASE_RISK.filter_subject: ReleaseRiskChangedV1,
    NOTIFIER_DEMAND_SURGED.filter_subject: DemandSurgedV1,
    NOTIFIER_LOOP_CLOSABLE.filter_subject: LoopClosableV1,
}
TABLES = {
    "scheduler": (SchedulerEvent, (APPLY_TO_PORTFOLIO, REFERENCED_ITEMS, WRITES)),
    "feedback": (FeedbackEvent, (FEEDBACK_RECORDS,)),
    "feedback work": (WorkEvent, (WORK_KEPT,)),
    "notifier": (NotifierEvent, (CHANGES_TO_NOTIFY,)),
}


class JiraLinkAddedV1(Event):
    """Stands in for a contract someone adds to a stream without teaching its consumers."""

    subject: ClassVar[str] = "work.link.added.v1"


def contracts() -> set[type[Event]]:
    found: set[type[Event]] = set()
    pending = list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not JiraLinkAddedV1 and cls.__module__.startswith("shared.events"):
            found.add(cls)
    return found


def captures(filter_subject: str, subject: str) -> bool:
    if filter_subject.endswith(">"):
        return subject.startswith(filter_subject.removesuffix(">"))
    return subject == filter_subject


def test_every_contract_can_be_decoded_by_subject() -> None:
    assert contracts() == set(ALL_EVENTS)


@pytest.mark.parametrize("filter_subject", CONSUMERS)
def test_each_consumer_union_holds_every_contract_on_its_subjects(filter_subject: str) -> None:
    on_subjects = {cls for cls in contracts() if captures(filter_subject, cls.subject)}
    assert on_subjects == set(members(CONSUMERS[filter_subject]))


@pytest.mark.parametrize("service", TABLES)
def test_each_table_covers_exactly_its_consumers_union(service: str) -> None:
    union, tables = TABLES[service]
    for table in tables:
        assert set(table.handlers) == set(members(union)), table.name


@pytest.mark.parametrize("table", [APPLY_TO_PORTFOLIO, REFERENCED_ITEMS, WRITES])
def test_a_union_with_an_unhandled_event_fails_to_build_the_table(table: Dispatch[Any]) -> None:
    with pytest.raises(IncompleteDispatch, match=r"no handler for \['JiraLinkAddedV1'\]"):
        Dispatch(table.name, SchedulerEvent | JiraLinkAddedV1, table.handlers)


def test_a_handler_for_an_event_outside_the_union_fails_to_build_the_table() -> None:
    with pytest.raises(IncompleteDispatch, match=r"outside its union: \['DemandChangedV1'\]"):
        Dispatch("work only", WorkEvent, WRITES.handlers)


def test_an_event_is_dispatched_by_its_exact_type() -> None:
    event = ItemChangedV1.model_validate(
        {
            "event_id": "e1",
            "occurred_at": "2026-11-25T00:00:00Z",
            "source": "jira",
            "item_id": "jira:PAY-1",
            "title": "T",
            "status": "todo",
            "source_updated_at": "2026-11-25T00:00:00Z",
        }
    )
    assert REFERENCED_ITEMS(event) == ("jira:PAY-1",)
    with pytest.raises(TypeError, match="does not handle JiraLinkAddedV1"):
        REFERENCED_ITEMS(
            JiraLinkAddedV1(event_id="x", occurred_at=event.occurred_at, source="jira")
        )


def test_ingest_has_exactly_one_normaliser_per_vendor_source() -> None:
    # Ingest's table is keyed by source, not by event type: a raw delivery names its vendor.
    vendors = {source.value for source in Source} - {Source.SLIPSTREAM.value}
    assert set(SOURCES) == vendors
