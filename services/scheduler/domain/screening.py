"""Screening: which blockers of an item might give it a reason, decided with int arithmetic.

Building a ``RiskReason`` costs microseconds; most edges give none. These screens pick out the
few suspects for ``rules`` to examine, and record the thresholds they see not yet crossed so
that the item's time window stays exact either way.
"""

from __future__ import annotations

from services.scheduler.domain.facts import NodeFacts
from services.scheduler.domain.model import RiskPolicy
from services.scheduler.domain.state import FOREVER, EngineState


class Window:
    """Collects thresholds: ``today >= t`` is true from ``t`` on and false before it."""

    __slots__ = ("start", "today", "until")

    def __init__(self, today: int) -> None:
        self.today, self.start, self.until = today, 0, FOREVER

    def passed(self, threshold: int) -> bool:
        if self.today >= threshold:
            if threshold > self.start:
                self.start = threshold
            return True
        if threshold < self.until:
            self.until = threshold
        return False


def suspect_blockers(state: EngineState, n: int, window: Window, policy: RiskPolicy) -> list[int]:
    """Active blockers of ``n`` that may give a reason: a cheap screen of every edge.

    Most edges give no reason; screening them with plain int arithmetic here, and building
    reasons only for the few suspects, keeps re-assessing an item with wide fan-in cheap. It
    records the thresholds it sees not yet passed, exactly as ``rules.blocker_reasons`` would.
    """
    facts, graph = state.facts, state.graph
    own_cycle, target = graph.cycle_of[n], facts.target[n]
    late_after = target - facts.duration[n] if target >= 0 else facts.start[n]
    near = target - policy.near_target_days
    suspects: list[int] = []
    for b in graph.blockers[n]:
        if own_cycle >= 0 and graph.cycle_of[b] == own_cycle:
            continue
        f = state.finish[b]
        if (
            facts.items[b] is None
            or (late_after >= 0 and f > late_after)
            or (facts.is_open[b] and _open_suspect(facts, b, f, target, near, window, policy))
        ):
            suspects.append(b)
    return suspects


def _open_suspect(
    facts: NodeFacts, b: int, f: int, target: int, near: int, window: Window, policy: RiskPolicy
) -> bool:
    """Whether open blocker ``b`` is overdue, undated or stale for an item with ``target``."""
    due = facts.target[b] + 1
    if due > 0 and window.today >= due:
        return True
    if due <= 0 and f < 0:
        return True
    stale = FOREVER
    if target >= 0 and facts.updated[b] >= 0:
        stale = max(facts.updated[b] + policy.stale_after_days, near)
        if window.today >= stale:
            return True
    window.until = min(window.until, due if due > 0 else FOREVER, stale)
    return False


def edge_screen(
    state: EngineState, d: int, blocker: tuple[bool, bool, int, int], finish: int, today: int
) -> tuple[bool, int]:
    """``suspect_blockers`` for one edge, given the blocker's (known, open, target, updated):
    whether it may give ``d`` a reason, and the first day it might start to."""
    known, is_open, target_b, updated_b = blocker
    facts, policy = state.facts, state.policy
    target = facts.target[d]
    late_after = target - facts.duration[d] if target >= 0 else facts.start[d]
    if not known or (late_after >= 0 and finish > late_after):
        return True, FOREVER
    if not is_open:
        return False, FOREVER
    until = FOREVER
    if target_b >= 0:
        if today > target_b:
            return True, FOREVER
        until = target_b + 1
    elif finish < 0:
        return True, FOREVER
    if target >= 0 and updated_b >= 0:
        stale = max(updated_b + policy.stale_after_days, target - policy.near_target_days)
        if today >= stale:
            return True, FOREVER
        until = min(until, stale)
    return False, until
