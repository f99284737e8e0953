"""Announcing risk changes against in-memory stores: signatures, retries, batch ordering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.cli.scheduler_commands import explain_text
from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.dashboard.live import RiskFeed
from services.scheduler.documents import (
    assessment_document,
    reasons_from_document,
    signature_of_document,
    stored_reasons,
)
from services.scheduler.domain import RiskPolicy
from services.scheduler.handlers import project_work
from services.scheduler.live_portfolio import LivePortfolio
from services.scheduler.mirror import AssessmentMirror
from services.scheduler.projections import latest_writes
from services.scheduler.reconcile import reconcile
from shared.events import Event, RiskChangedV1
from tests.unit.scheduler_app.fakes import InMemoryAssessmentStore, InMemoryWorkStore
from tests.unit.scheduler_app.support import TODAY, RecordingPublisher, edge, item, telemetry

pytestmark = pytest.mark.unit
NOW = datetime.combine(TODAY, datetime.min.time(), UTC)


class Harness:
    def __init__(self) -> None:
        self.store = InMemoryWorkStore()
        self.assessments = InMemoryAssessmentStore()
        self.publisher = RecordingPublisher()
        self.live = LivePortfolio.empty(RiskPolicy())
        mirror = AssessmentMirror(self.assessments)
        self.dashboards = RiskFeed()
        self.announcer = RiskAnnouncer(
            self.live, mirror, self.publisher, telemetry()[0], self.dashboards
        )

    async def feed(self, batch: list[Event]) -> int:

        async def recompute() -> None:
            await project_work(batch, self.store, self.live.portfolio, TODAY)

        return await self.announcer.reassess("events", recompute, lambda c: None, NOW)

    async def restarted(self) -> Harness:
        """A new process over the same stores, reconciled as at start-up."""
        again = Harness()
        again.store, again.assessments = self.store, self.assessments
        again.announcer.mirror = AssessmentMirror(self.assessments)
        await reconcile(again.store, again.announcer, RiskPolicy(), NOW)
        return again


BLOCKED = [item("jira:A", 1, target=10), item("jira:B", 1, target=30), edge("jira:B", "jira:A", 2)]


async def test_stored_document_rebuilds_the_engines_signature() -> None:
    harness = Harness()
    await harness.feed(BLOCKED)
    assessment = harness.live.portfolio.assessment("jira:A")
    assert assessment is not None
    assert assessment.reasons

    document = assessment_document(assessment, harness.live.portfolio.item("jira:A"))
    assert signature_of_document(document) == assessment.signature


async def test_reasons_are_stored_as_one_string_and_read_back_whole() -> None:
    harness = Harness()
    await harness.feed(BLOCKED)
    assessment = harness.live.portfolio.assessment("jira:A")
    assert assessment is not None

    document = assessment_document(assessment, harness.live.portfolio.item("jira:A"))
    assert isinstance(document["reasons"], str)
    assert reasons_from_document(document) == assessment.reasons
    listed = [reason.model_dump(mode="json") for reason in assessment.reasons]
    assert stored_reasons(document) == listed
    # As an older version stored them: the same reasons and the same signature.
    older = {**document, "reasons": listed}
    assert reasons_from_document(older) == assessment.reasons
    assert signature_of_document(older) == assessment.signature


async def test_a_restart_keeps_what_an_older_version_stored_with_listed_reasons() -> None:
    # Rewriting every assessment after an upgrade took 100,000 items two minutes; a document
    # that says the same with its reasons listed is left alone, and nothing is announced.
    harness = Harness()
    await harness.feed(BLOCKED)
    stored = harness.assessments.documents["jira:A"]
    stored["reasons"] = stored_reasons(stored)
    older = dict(stored)

    restarted = await harness.restarted()

    assert restarted.publisher.risk("jira:A") == []
    assert harness.assessments.documents["jira:A"] == older


async def test_a_changed_assessment_is_stored_packed_whatever_was_stored_before() -> None:
    harness = Harness()
    await harness.feed(BLOCKED)
    stored = harness.assessments.documents["jira:A"]
    stored["reasons"] = stored_reasons(stored)

    restarted = await harness.restarted()
    await restarted.feed([edge("jira:B", "jira:A", 3, False)])

    (unblocked,) = restarted.publisher.risk("jira:A")
    assert unblocked.reasons == ()
    assert harness.assessments.documents["jira:A"]["reasons"] == "[]"


async def test_open_dashboards_hear_a_change_only_once_it_is_stored() -> None:
    harness = Harness()
    page = harness.dashboards.events()
    await anext(page)
    harness.assessments.fail_saving("jira:A")
    with pytest.raises(ConnectionError):
        await harness.feed(BLOCKED)
    assert all(queue.empty() for queue in harness.dashboards.listeners)

    await harness.feed(BLOCKED)
    assert '"jira:A"' in await anext(page)


async def test_failed_publish_is_announced_again_on_the_retry() -> None:
    harness = Harness()
    harness.publisher.failures = 1
    with pytest.raises(ConnectionError):
        await harness.feed(BLOCKED)
    # The announced item's document waits for its event's ack; the blocker's, which
    # announces nothing, was stored beside the publish.
    assert list(harness.assessments.documents) == ["jira:B"]

    assert await harness.feed(BLOCKED) == 1
    assert [e.item_id for e in harness.publisher.risk()] == ["jira:A"]


async def test_failed_store_write_repeats_the_same_event_id() -> None:
    harness = Harness()
    harness.assessments.fail_saving("jira:A")
    with pytest.raises(ConnectionError):
        await harness.feed(BLOCKED)
    await harness.feed(BLOCKED)

    first, again = harness.publisher.risk("jira:A")
    assert first.event_id == again.event_id  # JetStream drops the copy


async def test_a_batch_redelivered_after_a_crash_repeats_each_items_event_id() -> None:
    # The first attempt announced and then died before storing; on redelivery the item writes
    # have all landed already, so nothing applies, yet each item's announcement must repeat
    # its id (blamed on its own event, not on whatever the batch ends with).
    harness = Harness()
    batch: list[Event] = [*BLOCKED, item("jira:C", 1, target=-3)]
    harness.assessments.fail_saving("jira:A")
    with pytest.raises(ConnectionError):
        await harness.feed(batch)
    await harness.feed(batch)

    first, again = harness.publisher.risk("jira:A")
    assert first.event_id == again.event_id


async def test_a_restart_after_publishing_but_before_storing_repeats_the_event_id() -> None:
    # kill -9 between the publish and the store: the restart's reconcile finds the same gap
    # by another path and must announce it under the same id, or a person is told twice.
    harness = Harness()
    harness.assessments.fail_saving("jira:A")
    with pytest.raises(ConnectionError):
        await harness.feed(BLOCKED)
    (before_crash,) = harness.publisher.risk("jira:A")

    restarted = await harness.restarted()

    (after_restart,) = restarted.publisher.risk("jira:A")
    assert after_restart.event_id == before_crash.event_id
    assert after_restart.level == before_crash.level


async def test_an_item_flapping_back_and_forth_gets_a_new_id_each_time() -> None:
    harness = Harness()
    unblocked, blocked_again = edge("jira:B", "jira:A", 3, False), edge("jira:B", "jira:A", 4)
    for batch in (BLOCKED, [unblocked], [blocked_again]):
        await harness.feed(batch)

    announced = harness.publisher.risk("jira:A")
    first, unblocking, again = announced
    assert first.level == again.level != unblocking.level
    assert len({first.event_id, unblocking.event_id, again.event_id}) == 3
    assert harness.assessments.documents["jira:A"]["announced_as"] == again.event_id


def test_one_write_per_document_per_batch_and_the_newest_wins() -> None:
    batch = [edge("jira:B", "jira:A", 5, False), edge("jira:B", "jira:A", 3), item("jira:A", 1)]
    writes = dict(latest_writes(batch))
    assert sorted(writes) == [0, 2]
    assert writes[0].document["present"] is False


def test_explain_prints_reasons_and_the_chain_with_dates() -> None:
    text = explain_text(
        {
            "item_id": "jira:A",
            "title": "Checkout",
            "level": "off_track",
            "score": 55.0,
            "target": "2026-03-12",
            "forecast": "2026-04-01",
            "slip_days": 20,
            "reasons": [{"code": "blocker_late", "message": "jira:B finishes 2026-04-01"}],
            "explanation": [
                {"item_id": "jira:A", "status": "todo", "target": "2026-03-12"},
                {"item_id": "jira:B", "status": "in_progress", "forecast": "2026-04-01"},
            ],
        }
    )
    assert "because jira:B finishes 2026-04-01" in text
    assert "\n    jira:B" in text
    assert "forecast 2026-04-01" in text


async def test_a_risk_change_links_back_to_the_item_and_names_its_release() -> None:
    harness = Harness()
    url = "https://northwind.atlassian.net/browse/A"
    await harness.feed(
        [
            item("jira:A", 1, target=10, url=url, release_id="jira:version/7"),
            *BLOCKED[1:],
        ]
    )
    (announced,) = [e for e in harness.publisher.events if getattr(e, "item_id", "") == "jira:A"]
    assert isinstance(announced, RiskChangedV1)
    assert (announced.url, announced.release_id) == (url, "jira:version/7")


async def test_a_risk_change_carries_the_titles_of_the_items_it_names_by_id() -> None:
    harness = Harness()
    await harness.feed(
        [
            item("jira:A", 1, target=10, title="Checkout redesign"),
            item("jira:B", 1, target=30, title="Payments API v2"),
            BLOCKED[2],
        ]
    )
    [announced] = harness.publisher.risk("jira:A")
    assert announced.chain == ("jira:A", "jira:B")
    assert [reason.blocker_id for reason in announced.reasons] == ["jira:B"]
    # Its own title is the event's ``title``; ``titles`` is for the others.
    assert announced.titles == {"jira:B": "Payments API v2"}


async def test_only_a_pass_writing_an_empty_store_whole_is_a_first_fill() -> None:
    small, first = Harness(), Harness()
    for harness in (small, first):
        harness.announcer.mirror.first_fill = 3

    await small.feed([item("jira:A", 1, target=10), item("jira:B", 1, target=30)])
    await first.feed([item(f"jira:C-{n}", 1, target=10) for n in range(3)])
    assert small.assessments.fills == 0, "two documents are cheaper written into the indexes"
    assert first.assessments.fills == 1
    assert len(first.assessments.documents) == 3  # every item's document, as without

    for harness in (small, first):
        await harness.feed([item(f"jira:D-{n}", 1, target=10) for n in range(3)])
    assert (small.assessments.fills, first.assessments.fills) == (0, 1), "documents are stored"
