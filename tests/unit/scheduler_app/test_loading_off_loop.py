"""Start-up's heavy CPU work runs off the event loop, so health checks and reads still answer.

Each heavy step is wrapped so that, once it starts, it waits for a coroutine on the event loop
to run. Off the loop that happens at once; on the loop it never could, and the step fails
(after a generous guard against hanging the suite) instead of passing.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from services.scheduler import handlers
from services.scheduler import reconcile as reconcile_module
from services.scheduler.announcer import RiskAnnouncer
from services.scheduler.domain import Portfolio, RiskPolicy
from services.scheduler.handlers import load_portfolio
from services.scheduler.live_portfolio import LivePortfolio
from services.scheduler.mirror import WRITE_SLICE, AssessmentMirror, Reassessment
from services.scheduler.reconcile import reconcile
from shared.events import Event
from tests.unit.scheduler_app.fakes import InMemoryAssessmentStore, InMemoryWorkStore
from tests.unit.scheduler_app.support import TODAY, RecordingPublisher, edge, item, telemetry

pytestmark = pytest.mark.unit
NOW = datetime.combine(TODAY, datetime.min.time(), UTC)
GUARD_SECONDS = 30


class LoopWitness:
    """Records which heavy steps the event loop kept running through."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.loop_ran = threading.Event()
        self.witnessed: list[str] = []

    def wrap(self, name: str, step: Callable[..., Any]) -> Callable[..., Any]:
        def waiting_for_the_loop(*args: Any, **kwargs: Any) -> Any:
            self.started.set()
            if not self.loop_ran.wait(GUARD_SECONDS):
                raise AssertionError(f"the event loop stood still while {name} ran")
            self.witnessed.append(name)
            self.started.clear()
            self.loop_ran.clear()
            return step(*args, **kwargs)

        return waiting_for_the_loop

    async def heartbeat(self) -> None:
        """A concurrent task: it answers each heavy step that starts (as /healthz would)."""
        while True:
            if self.started.is_set():
                self.loop_ran.set()
            await asyncio.sleep(0)


async def seeded_store() -> InMemoryWorkStore:
    store = InMemoryWorkStore()
    batch: list[Event] = [item(f"jira:W-{n}", 1, target=10 + n % 20) for n in range(200)]
    batch += [edge(f"jira:W-{n}", f"jira:W-{n + 1}", 2) for n in range(199)]
    await store.apply(batch)
    return store


async def test_building_the_portfolio_leaves_the_loop_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    witness, store = LoopWitness(), await seeded_store()
    monkeypatch.setattr(
        handlers, "build_portfolio", witness.wrap("building", handlers.build_portfolio)
    )
    heartbeat = asyncio.create_task(witness.heartbeat())
    portfolio = await load_portfolio(store, RiskPolicy())
    heartbeat.cancel()

    assert witness.witnessed == ["building"]
    assert portfolio.item("jira:W-199") is not None


async def test_reconcile_builds_assesses_and_diffs_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    witness, store = LoopWitness(), await seeded_store()
    for module, name in ((reconcile_module, "build_items"), (reconcile_module, "add_links")):
        monkeypatch.setattr(module, name, witness.wrap(name, getattr(module, name)))
    for owner, name in ((Portfolio, "assess_all"), (AssessmentMirror, "diff")):
        monkeypatch.setattr(owner, name, witness.wrap(name, getattr(owner, name)))
    publisher = RecordingPublisher()
    live = LivePortfolio.empty(RiskPolicy())
    mirror = AssessmentMirror(InMemoryAssessmentStore())
    announcer = RiskAnnouncer(live, mirror, publisher, telemetry()[0])
    heartbeat = asyncio.create_task(witness.heartbeat())
    changes = await reconcile(store, announcer, RiskPolicy(), NOW)
    heartbeat.cancel()

    assert witness.witnessed == ["build_items", "add_links", "assess_all", "diff"]
    assert changes > 0
    assert len(mirror.stored) == 200


async def test_reconcile_pauses_the_cycle_collector_and_exempts_what_it_loaded_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Its passes over the objects a load keeps held the GIL for up to a second at 100,000 items.
    collecting: list[tuple[str, bool]] = []

    def noting(name: str, step: Callable[..., Any]) -> Callable[..., Any]:
        def step_noted(*args: Any, **kwargs: Any) -> Any:
            collecting.append((name, gc.isenabled()))
            return step(*args, **kwargs)

        return step_noted

    for owner, name in ((Portfolio, "assess_all"), (AssessmentMirror, "diff")):
        monkeypatch.setattr(owner, name, noting(name, getattr(owner, name)))
    live = LivePortfolio.empty(RiskPolicy())
    mirror = AssessmentMirror(InMemoryAssessmentStore())
    announcer = RiskAnnouncer(live, mirror, RecordingPublisher(), telemetry()[0])
    try:
        assert await reconcile(await seeded_store(), announcer, RiskPolicy(), NOW) > 0
        assert collecting == [("assess_all", False), ("diff", False)]
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


class MeetingStore(InMemoryAssessmentStore):
    """Its stored assessments are read only while the portfolio is being assessed, and the
    assessment waits for that read: done one after the other, either would wait forever."""

    def __init__(self) -> None:
        super().__init__()
        self.reading, self.assessing = threading.Event(), threading.Event()

    async def all(self) -> list[dict[str, Any]]:
        self.reading.set()
        if not await asyncio.to_thread(self.assessing.wait, GUARD_SECONDS):
            raise AssertionError("the stored assessments were read before assessing began")
        return await super().all()

    def meet(self, assess_all: Callable[..., Any]) -> Callable[..., Any]:
        def assessing_once_reading(*args: Any, **kwargs: Any) -> Any:
            self.assessing.set()
            if not self.reading.wait(GUARD_SECONDS):
                raise AssertionError("the portfolio was assessed before the read began")
            return assess_all(*args, **kwargs)

        return assessing_once_reading


async def test_reconcile_reads_the_stored_assessments_while_it_assesses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The read is the database's work and the assessment this process's: they overlap.
    store, assessments = await seeded_store(), MeetingStore()
    monkeypatch.setattr(Portfolio, "assess_all", assessments.meet(Portfolio.assess_all))
    live = LivePortfolio.empty(RiskPolicy())
    mirror = AssessmentMirror(assessments)
    announcer = RiskAnnouncer(live, mirror, RecordingPublisher(), telemetry()[0])
    assert await reconcile(store, announcer, RiskPolicy(), NOW) > 0
    assert len(mirror.stored) == 200


class SliceCountingStore(InMemoryAssessmentStore):
    def __init__(self) -> None:
        super().__init__()
        self.saves: list[int] = []

    async def save(self, documents: Sequence[dict[str, Any]], *, fresh: bool = False) -> None:
        self.saves.append(len(documents))
        await super().save(documents)


async def test_a_large_commit_is_written_in_slices_the_loop_can_interleave() -> None:
    store = SliceCountingStore()
    mirror = AssessmentMirror(store)
    upserts = {f"jira:W-{n}": {"_id": f"jira:W-{n}", "score": n} for n in range(WRITE_SLICE + 1)}
    await mirror.commit(Reassessment(upserts=upserts))

    assert store.saves == [WRITE_SLICE, 1]
    assert len(await store.all()) == WRITE_SLICE + 1
    assert len(mirror.stored) == WRITE_SLICE + 1
