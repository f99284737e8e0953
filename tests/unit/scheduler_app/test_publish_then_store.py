"""Announced documents are stored part by part behind the publishes, never ahead of them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from opentelemetry import context as otel_context

from services.scheduler.mirror import AssessmentMirror
from shared.events import Event, RiskChangedV1
from tests.unit.scheduler_app.fakes import InMemoryAssessmentStore
from tests.unit.scheduler_app.support import RecordingPublisher, item
from tests.unit.scheduler_app.test_announcing import Harness

pytestmark = pytest.mark.unit
GUARD_SECONDS = 5.0
# Three items past their own dates: three announcements, one per part.
LATE = [item(f"jira:L{n}", 1, target=-3) for n in range(3)]


class Meeting:
    """L1's publish is acked only once L0's document is stored, and L0's document is stored
    only once L1's publish has begun."""

    def __init__(self) -> None:
        self.publishing_l1, self.stored_l0 = asyncio.Event(), asyncio.Event()


class MeetingPublisher(RecordingPublisher):
    def __init__(self, meeting: Meeting, stored: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.meeting, self.stored = meeting, stored

    async def publish(self, event: Event, context: otel_context.Context | None = None) -> None:
        if isinstance(event, RiskChangedV1):
            assert event.item_id not in self.stored, "stored before its event was acked"
            if event.item_id == "jira:L1":
                self.meeting.publishing_l1.set()
                await asyncio.wait_for(self.meeting.stored_l0.wait(), GUARD_SECONDS)
        await super().publish(event, context)


class MeetingAssessments(InMemoryAssessmentStore):
    def __init__(self, meeting: Meeting) -> None:
        super().__init__()
        self.meeting = meeting

    async def save(self, documents: Sequence[dict[str, Any]], *, fresh: bool = False) -> None:
        storing_l0 = any(d["_id"] == "jira:L0" for d in documents)
        if storing_l0:
            await asyncio.wait_for(self.meeting.publishing_l1.wait(), GUARD_SECONDS)
        await super().save(documents, fresh=fresh)
        if storing_l0:
            self.meeting.stored_l0.set()


async def test_each_parts_documents_are_stored_while_the_next_part_is_published() -> None:
    # Publishing all and then storing, or storing each part before publishing the next,
    # would each wait here for ever (checked).
    harness, meeting = Harness(), Meeting()
    harness.assessments = MeetingAssessments(meeting)
    harness.publisher = MeetingPublisher(meeting, harness.assessments.documents)
    harness.announcer.publisher = harness.publisher
    harness.announcer.mirror = AssessmentMirror(harness.assessments)
    harness.announcer.announce_part = 1

    assert await harness.feed(LATE) == 3
    assert [e.item_id for e in harness.publisher.risk()] == ["jira:L0", "jira:L1", "jira:L2"]
    assert len(harness.assessments.history) == 3


async def test_a_failed_part_keeps_the_parts_before_it_and_repeats_their_ids() -> None:
    harness = Harness()
    harness.announcer.announce_part = 1
    published = harness.publisher.publish

    async def fail_the_third(event: Event, context: otel_context.Context | None = None) -> None:
        if isinstance(event, RiskChangedV1) and event.item_id == "jira:L2":
            raise ConnectionError("JetStream did not answer")
        await published(event, context)

    harness.publisher.publish = fail_the_third  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await harness.feed(LATE)
    # The first two were acked: their history and documents are kept.
    assert sorted(harness.assessments.documents) == ["jira:L0", "jira:L1"]
    assert len(harness.assessments.history) == 2
    assert harness.announcer.mirror.stored == {}, "the mirror believes nothing yet"

    harness.publisher.publish = published  # type: ignore[method-assign]
    await harness.feed(LATE)
    first, again = harness.publisher.risk("jira:L0")
    assert first.event_id == again.event_id, "repeated under its id: JetStream drops it"
    assert sorted(harness.assessments.documents) == ["jira:L0", "jira:L1", "jira:L2"]
    assert len(harness.assessments.history) == 3
