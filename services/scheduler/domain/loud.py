"""The full pass's assessments of every item with a reason, built in one loop.

``verdict`` assesses one item at a time for the incremental passes. Over the fifth of a large
portfolio that has something to say, its per-item screens, windows and helper calls cost more
than the objects they build. Here ``triage`` has already said which edge gives which reason,
the numbers (slip, level, unrounded score) come from whole arrays, and what is left per item
is its reasons and its ``Assessment``. Same rules and values as ``verdict``: the tests compare
the full pass with the incremental one.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np
import numpy.typing as npt

from services.scheduler.domain.arrays import Flags, Ints, NodeArrays
from services.scheduler.domain.model import Assessment, RiskPolicy
from services.scheduler.domain.rules import (
    item_reasons,
    late_reason,
    overdue_reason,
    stale_reason,
    undated_reason,
)
from services.scheduler.domain.screening import Window
from services.scheduler.domain.state import EngineState
from services.scheduler.domain.triage import Triage
from services.scheduler.domain.verdict import flagged, reason_order
from shared.events import RiskLevel, RiskReason


def assess_loud(
    state: EngineState, arrays: NodeArrays, found: Triage, finish: Ints, today: int
) -> list[Assessment]:
    """The assessments of ``found.loud``, in that order."""
    loud = found.loud.tolist()
    reasons, crossing = _blamed(state, found, loud)
    for n in np.flatnonzero(_self_reasons(state, arrays, found.loud, today)).tolist():
        reasons[loud[n]][:0] = item_reasons(state, loud[n], Window(today))
    target, forecast = arrays.target[found.loud], finish[found.loud]
    slip = np.where((forecast >= 0) & (target >= 0), forecast - target, 0)
    off = (slip >= state.policy.off_track_slip_days) | ((target >= 0) & (target < today))
    raw = _raw_scores(state, found.loud, slip, off, crossing[found.loud])
    rows = zip(loud, forecast.tolist(), off.tolist(), slip.tolist(), raw.tolist(), strict=True)
    return [_assessment(state, reasons[row[0]], *row) for row in rows]


def _assessment(
    state: EngineState,
    reasons: list[RiskReason],
    n: int,
    finish: int,
    off: bool,
    slip: int,
    raw: float,
) -> Assessment:
    """``verdict._verdict`` given the numbers: what is left is sorting and building."""
    if len(reasons) > 1:  # most items at risk have exactly one reason
        reasons.sort(key=reason_order)
    level = RiskLevel.OFF_TRACK if off else RiskLevel.AT_RISK
    score = round(raw, 2)
    band = 1 + bisect_right(state.policy.band_edges, score)
    item = state.facts.items[n]
    assert item is not None, "a loud item is known"
    return flagged(state, n, finish, item.target, reasons, (level, score, band, slip))


def _self_reasons(state: EngineState, arrays: NodeArrays, loud: Ints, today: int) -> Flags:
    """Which loud items have a reason of their own: a cycle, a release at risk, overdue."""
    target = arrays.target[loud]
    own = (arrays.cycle[loud] >= 0) | ((target >= 0) & (target < today))
    flagged = np.zeros(arrays.size, dtype=np.bool_)
    book = state.releases
    for rid in book.flagged:
        flagged[np.fromiter(book.members[rid], dtype=np.int64)] = True
    return own | flagged[loud]


def _blamed(
    state: EngineState, found: Triage, loud: list[int]
) -> tuple[dict[int, list[RiskReason]], Flags]:
    """Each loud item's blocker reasons, and whether a blamed blocker is in another team."""
    facts, ids, policy = state.facts, state.graph.ids, state.policy
    items, finish = facts.items, state.finish
    reasons: dict[int, list[RiskReason]] = {n: [] for n in loud}
    crossing = np.zeros(len(items), dtype=np.bool_)
    for d, s, late, overdue, stale, undated in zip(
        found.dst.tolist(),
        found.src.tolist(),
        found.late.tolist(),
        found.overdue.tolist(),
        found.stale.tolist(),
        found.undated.tolist(),
        strict=True,
    ):
        bid, mine, blocker = ids[s], reasons[d], items[s]
        if late:
            reason = late_reason(bid, finish[s], facts.target[d], facts.start[d], facts.duration[d])
            assert reason is not None, "triage's late is the rule's late"
            mine.append(reason)
        if overdue:
            mine.append(overdue_reason(bid, facts.target[s]))
        if stale:
            mine.append(stale_reason(bid, facts.updated[s], facts.target[d], policy))
        if undated:
            mine.append(undated_reason(bid, known=blocker is not None))
        theirs = None if blocker is None else blocker.team
        team = items[d].team
        if theirs is not None and team not in (None, theirs):
            crossing[d] = True
    return reasons, crossing


def _raw_scores(
    state: EngineState, loud: Ints, slip: Ints, off: Flags, crossing: Flags
) -> npt.NDArray[np.float64]:
    """``verdict._score`` before rounding, in the same order of float operations."""
    policy: RiskPolicy = state.policy
    base = np.where(off, policy.off_track_base, policy.at_risk_base)
    slipped = np.minimum(np.maximum(slip, 0), policy.slip_cap_days) * policy.slip_weight
    # math.log1p, not numpy's: the incremental pass uses it, and scores must match exactly.
    waiting = [max(w, 0.0) for w in map(state.waiting.__getitem__, loud.tolist())]
    logs = {w: math.log1p(w) for w in set(waiting)}
    demand = policy.demand_weight * np.array([logs[w] for w in waiting], dtype=np.float64)
    team = np.where(crossing, policy.team_weight, 0.0)
    return base + slipped + demand + team
