"""What one blocker does to one dependant: which reasons it gives, and when that may change.

``findings`` and ``pending`` combine the rules of ``reasons`` over values that are ints (one
edge) or numpy arrays (many edges at once); the incremental screens, the per-item assessment
and the full pass all call them. Building a ``RiskReason`` costs microseconds and most edges
give none, so an item's blockers are screened with ``findings`` first and reasons are built
only for the few suspects. An item with hundreds of blockers keeps each blocker's screen
(``wide_items``) and re-screens only the blockers that changed.
"""

from __future__ import annotations

from itertools import repeat
from operator import is_not, itemgetter
from typing import Any

import numpy as np

from services.scheduler.domain import wide_items
from services.scheduler.domain.dates import earliest, pick
from services.scheduler.domain.engine import EngineState
from services.scheduler.domain.model import PendingReason, RiskPolicy
from services.scheduler.domain.reasons import blocker_late, blocker_stale, blocker_undated, overdue
from services.scheduler.domain.reasons.blocker_late import late_after
from services.scheduler.domain.wide_items import KeptScreen
from services.scheduler.domain.window import FOREVER, Window, ahead, crossed

Blocker = tuple[bool, bool, int, int]  # known, open, target, last update


def findings(blocker: Any, finish: Any, after: Any, target: Any, today: int, policy: Any) -> Any:
    """(late, overdue, stale, undated) for blockers with facts ``blocker`` and forecast
    ``finish``, of dependants with target ``target`` and ``late_after`` value ``after``."""
    known, is_open, their_target, updated = blocker
    stale_at = blocker_stale.stale_from(updated, target, policy)
    return (
        blocker_late.is_late(finish, after),
        overdue.is_overdue(is_open, their_target, today),
        blocker_stale.watched(is_open, updated, target) & crossed(stale_at, today),
        blocker_undated.is_undated(known, is_open, their_target, finish),
    )


def pending(blocker: Any, target: Any, today: int, policy: Any) -> Any:
    """The earliest threshold of the blocker's rules not crossed yet (FOREVER if none)."""
    _, is_open, their_target, updated = blocker
    due, stale_at = (
        overdue.overdue_from(their_target),
        blocker_stale.stale_from(updated, target, policy),
    )
    due = pick(overdue.dated(is_open, their_target) & ahead(due, today), due, FOREVER)
    stale_at = pick(
        blocker_stale.watched(is_open, updated, target) & ahead(stale_at, today),
        stale_at,
        FOREVER,
    )
    return earliest(due, stale_at)


def edge_screen(
    state: EngineState, d: int, blocker: Blocker, finish: int, today: int
) -> tuple[bool, int]:
    """Whether a blocker with these facts may give ``d`` a reason, and if not, the first day
    it might start to."""
    facts = state.facts
    target = facts.target[d]
    after = late_after(target, facts.start[d], facts.duration[d])
    return _screen(blocker, finish, after, target, today, state.policy)


def _screen(
    blocker: Blocker, finish: int, after: int, target: int, today: int, policy: RiskPolicy
) -> tuple[bool, int]:
    if any(findings(blocker, finish, after, target, today, policy)):
        return True, FOREVER
    return False, pending(blocker, target, today, policy)


def facts_of(state: EngineState, b: int) -> Blocker:
    facts = state.facts
    return facts.items[b] is not None, facts.is_open[b], facts.target[b], facts.updated[b]


def suspect_blockers(state: EngineState, n: int, window: Window) -> list[int]:
    """Active blockers of ``n`` that may give it a reason; the thresholds of the others are
    recorded in ``window``, exactly as ``blocker_reasons`` would record them."""
    graph = state.graph
    own_cycle, blockers = graph.cycle_of[n], graph.blockers[n]
    if own_cycle >= 0:
        blockers = [b for b in blockers if graph.cycle_of[b] != own_cycle]
    if len(blockers) >= wide_items.WIDE:
        return _wide_suspects(state, n, blockers, window)
    facts, finish, today, policy = state.facts, state.finish, window.today, state.policy
    target = facts.target[n]
    after = late_after(target, facts.start[n], facts.duration[n])
    suspects: list[int] = []
    for b in blockers:
        suspect, until = _screen(facts_of(state, b), finish[b], after, target, today, policy)
        if suspect:
            suspects.append(b)
        elif until < window.until:
            window.until = until
    return suspects


def _wide_suspects(state: EngineState, n: int, blockers: list[int], window: Window) -> list[int]:
    """``suspect_blockers`` for an item with many blockers, from its kept screen: only the
    blockers that changed since are screened again (``wide_items``)."""
    facts, today, policy = state.facts, window.today, state.policy
    target = facts.target[n]
    after = late_after(target, facts.start[n], facts.duration[n])
    kept = state.kept_screens.get(n)
    if kept is not None and kept.blockers is None:
        kept = _read_out(state, n, kept, today)
    if (
        kept is None
        or kept.blockers is None
        or kept.key != (today, target, after)
        # a safety net: an edge change forgets the screen (``wide_items.forget``)
        or len(kept.blockers) != len(blockers)
    ):
        kept = _screen_all(state, blockers, after, target, today)
        state.kept_screens[n] = kept
    elif kept.stale:
        finish = state.finish
        for b in kept.stale:
            i = kept.at.get(b)
            if i is not None:  # not an edge inside the item's own cycle
                screened = _screen(facts_of(state, b), finish[b], after, target, today, policy)
                kept.suspect[i], kept.until[i] = screened
        kept.stale.clear()
    held = kept.blockers
    assert held is not None, "a screen in use has been read out"
    window.until = min(window.until, int(kept.until.min()))
    return [held[i] for i in np.flatnonzero(kept.suspect).tolist()]


def _read_out(state: EngineState, n: int, kept: KeptScreen, today: int) -> KeptScreen | None:
    """A screen seeded by the full pass, from the pass's arrays (None if it no longer holds);
    the blockers changed since stay ``stale``."""
    edges, (_, target, _) = kept.edges, kept.key
    if edges is None or kept.key[0] != today:
        return None
    at = np.flatnonzero(edges.dst == n)
    blocker = tuple(f[at] for f in edges.blocker)
    suspect = edges.gives[at]
    until = np.where(suspect, FOREVER, pending(blocker, target, today, state.policy))
    blockers = edges.src[at].tolist()
    kept.blockers, kept.at = blockers, {b: i for i, b in enumerate(blockers)}
    kept.suspect, kept.until, kept.edges = suspect, until, None
    return kept


def _screen_all(
    state: EngineState, blockers: list[int], after: int, target: int, today: int
) -> KeptScreen:
    """``_screen`` of every blocker at once, as arrays."""
    facts, count = state.facts, len(blockers)

    take = itemgetter(*blockers)  # a tuple in one C call; ``WIDE`` blockers, so never one

    def gather(values: list[Any], dtype: Any) -> Any:
        return np.fromiter(take(values), dtype=dtype, count=count)

    known = np.fromiter(map(is_not, take(facts.items), repeat(None)), np.bool_, count)
    is_open = gather(facts.is_open, np.bool_) & known
    blocker = (known, is_open, gather(facts.target, np.int64), gather(facts.updated, np.int64))
    late, due, stale, undated = findings(
        blocker, gather(state.finish, np.int64), after, target, today, state.policy
    )
    suspect = late | due | stale | undated
    until = np.where(suspect, FOREVER, pending(blocker, target, today, state.policy))
    key = (today, target, after)
    return KeptScreen(key, list(blockers), {b: i for i, b in enumerate(blockers)}, suspect, until)


def blocker_reasons(state: EngineState, n: int, b: int, window: Window) -> list[PendingReason]:
    """What blocker ``b`` does to item ``n`` (an active edge), with its thresholds recorded."""
    facts, bid, policy = state.facts, state.graph.ids[b], state.policy
    if facts.items[b] is None:
        return [blocker_undated.pending(bid, known=False)]
    found: list[PendingReason] = []
    finish, target, start = state.finish[b], facts.target[n], facts.start[n]
    after = late_after(target, start, facts.duration[n])
    if blocker_late.is_late(finish, after):
        found.append(blocker_late.pending(bid, finish, after, target, start))
    is_open, their_target, updated = facts.is_open[b], facts.target[b], facts.updated[b]
    if overdue.dated(is_open, their_target) and window.passed(overdue.overdue_from(their_target)):
        found.append(overdue.pending_blocker_reason(bid, their_target))
    if blocker_undated.is_undated(True, is_open, their_target, finish):
        found.append(blocker_undated.pending(bid, known=True))
    if blocker_stale.watched(is_open, updated, target) and window.passed(
        blocker_stale.stale_from(updated, target, policy)
    ):
        found.append(blocker_stale.pending(bid, updated, target, policy))
    return found
