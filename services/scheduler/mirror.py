"""The stored assessments, and what it takes to bring them level with the engine.

The stored assessment doubles as the record of what was announced: a risk change is published
*before* the new assessment is stored, so a failure in between repeats the announcement on the
retry (at least once) instead of losing it, and start-up compares the engine with what is
stored. (A document that announces nothing may be stored meanwhile: it has nothing to repeat;
nor has one whose event is acknowledged, while later events are still being published.)
Comparing against the store rather than the engine's own previous verdicts is what makes a
retried batch, a restart and a rebuild all say the same thing.
"""

from __future__ import annotations

import asyncio
import itertools
import operator
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from services.scheduler.documents import (
    assessment_document,
    assessment_from_document,
    signature_of_document,
    stored_alike,
)
from services.scheduler.domain import Assessment, AssessmentChange, Portfolio
from services.scheduler.domain.model import signature_of
from services.scheduler.ports import AssessmentStore

WRITE_SLICE = 5_000
# A pass writing at least this many documents into an empty store is a first fill (see
# ``AssessmentMirror.filling``); fewer are cheaper written into their indexes.
FIRST_FILL = 10_000
# The id of the event that announced a stored assessment: the next announcement's id chains on
# it (``handlers.risk_changed``), so the stored document is all a restart needs to repeat it.
ANNOUNCED_AS = "announced_as"


def slices(documents: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [documents[n : n + WRITE_SLICE] for n in range(0, len(documents), WRITE_SLICE)]


@dataclass
class Reassessment:
    """Documents to write or delete, and the changes a person would notice (to announce)."""

    upserts: dict[str, dict[str, Any]] = field(default_factory=dict)
    removals: list[str] = field(default_factory=list)
    changes: list[AssessmentChange] = field(default_factory=list)
    snapshot: list[Assessment | None] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    reevaluated: int = 0
    # Items whose new document is stored already (``store_quiet``, ``store_announced``), and
    # how many history entries from the first are recorded (``store_announced``): commit
    # skips them.
    stored_early: set[str] = field(default_factory=set)
    recorded: int = 0


class AssessmentMirror:
    """What the assessments collection holds, as this process last read or wrote it."""

    first_fill = FIRST_FILL

    def __init__(self, store: AssessmentStore) -> None:
        self.store = store
        self.stored: dict[str, dict[str, Any]] = {}
        # The engine's per-node assessments as of the last commit. The engine replaces an
        # assessment object whenever it re-evaluates the item, so an identity comparison finds
        # the few items a batch touched without building every document (O(n) but in C).
        self._slots: list[Assessment | None] = []
        self._everything = True
        # Counts commits that changed ``stored``, for whoever keeps something derived from it.
        self.revision = 0

    async def load(self) -> None:
        self.stored = {document["_id"]: document for document in await self.store.all()}
        self._slots, self._everything = [], True
        self.revision += 1

    def diff(self, portfolio: Portfolio) -> Reassessment:
        slots, ids = portfolio.assessment_slots()
        result = Reassessment(snapshot=list(slots))
        previous = itertools.chain(self._slots, itertools.repeat(None))
        moved = itertools.compress(range(len(slots)), map(operator.is_not, slots, previous))
        for n in moved:
            result.reevaluated += 1
            self._compare(ids[n], slots[n], portfolio, result)
        if self._everything:
            # Right after loading, the store may hold items the engine never heard of.
            known = set(itertools.compress(ids, slots))
            for item_id in sorted(self.stored.keys() - known):
                self._compare(item_id, None, portfolio, result)
        result.changes.sort(key=lambda change: change.item_id)
        return result

    def _compare(
        self, item_id: str, now: Assessment | None, portfolio: Portfolio, result: Reassessment
    ) -> None:
        old = self.stored.get(item_id)
        if now is None:
            if old is None:
                return
            result.removals.append(item_id)
        else:
            document = {"_id": item_id, **assessment_document(now, portfolio.item(item_id))}
            if old is not None and ANNOUNCED_AS in old:
                # Kept until the next announcement replaces it (the announcer sets it).
                document[ANNOUNCED_AS] = old[ANNOUNCED_AS]
            if stored_alike(old, document):
                # The same document rebuilds the same signature: nothing to announce. After a
                # restart that is every item, so the signature is not rebuilt 100,000 times.
                return
            result.upserts[item_id] = document
        if signature_of_document(old) != signature_of(now):
            before = None if old is None else assessment_from_document(old)
            result.changes.append(AssessmentChange(before=before, after=now))

    def filling(self, result: Reassessment) -> AbstractAsyncContextManager[None]:
        """Around storing ``result``: on a first start, with nothing stored and every item to
        write, the store indexes the documents once they are all written."""
        if self.stored or len(result.upserts) < self.first_fill:
            return nullcontext()
        return self.store.filling_empty()

    async def store_quiet(self, result: Reassessment) -> None:
        """Store the documents no announcement waits for, while the announcements go out.

        Only an announced item's document has to wait for its event's ack (and its history
        entry). A document whose signature did not change (a slip day more, a new title)
        leaves nothing to repeat if we crash after writing it. On a first start that is two
        items in five, written during the publishes instead of after them. The mirror still
        believes nothing until ``commit``.
        """
        announced = {change.item_id for change in result.changes}
        quiet = {i: d for i, d in result.upserts.items() if i not in announced}
        await self._save_both(quiet)
        result.stored_early |= quiet.keys()

    async def store_announced(self, result: Reassessment, stop: int) -> None:
        """Store the history and documents of the changes up to ``stop``, whose events are all
        acknowledged, while later ones are still being published.

        On a first start that is 60,000 history entries and documents, which took 35 s after
        the last ack. Changes are stored in order, so what is recorded is a prefix; as in
        ``commit``, history goes before the documents, and the mirror believes nothing yet.
        """
        announced = result.changes[result.recorded : stop]
        for entries in slices(result.history[result.recorded : stop]):
            await self.store.record(entries)
        result.recorded = stop
        ids = (change.item_id for change in announced)
        documents = {i: result.upserts[i] for i in ids if i in result.upserts}
        await self._save_both(documents)
        result.stored_early |= documents.keys()

    async def commit(self, result: Reassessment) -> None:
        """Store the new documents; only then does the mirror believe them.

        History goes first: if saving the assessments fails, the retry announces again under
        the same event ids and the history keeps one entry each.
        """
        # In slices: encoding one 100,000-document bulk write holds the event loop for seconds.
        for entries in slices(result.history[result.recorded :]):
            await self.store.record(entries)
        rest = {i: d for i, d in result.upserts.items() if i not in result.stored_early}
        # New, changed and removed documents are disjoint: their writes may run at once.
        await asyncio.gather(self._save_both(rest), self.store.remove(result.removals))
        self.stored.update(result.upserts)
        for item_id in result.removals:
            self.stored.pop(item_id, None)
        self._slots, self._everything = result.snapshot, False
        if result.upserts or result.removals:
            self.revision += 1

    async def _save_both(self, documents: dict[str, dict[str, Any]]) -> None:
        """New documents inserted, the others replaced, at once."""
        fresh = [d for i, d in documents.items() if i not in self.stored]
        existing = [d for i, d in documents.items() if i in self.stored]
        await asyncio.gather(self._save(fresh, fresh=True), self._save(existing))

    async def _save(self, documents: list[dict[str, Any]], *, fresh: bool = False) -> None:
        for part in slices(documents):
            await self.store.save(part, fresh=fresh)
