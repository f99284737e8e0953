"""The full pass's assessments of every item with a reason, built in one loop.

``verdict`` assesses one item at a time for the incremental passes. Over the fifth of a large
portfolio that has something to say, its per-item screens, windows and helper calls cost more
than the objects they build. Here ``risk_windows`` has already said which edge gives which
reason, and the numbers (slip, level, unrounded score) come from the same rule functions
applied to whole arrays; what is left per item is its reasons and its ``Assessment``.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from services.scheduler.domain.engine import EngineState
from services.scheduler.domain.forecast import slip
from services.scheduler.domain.item_reasons import item_reasons
from services.scheduler.domain.level import LEVEL_OF, is_off_track
from services.scheduler.domain.model import Assessment, PendingReason
from services.scheduler.domain.reasons import blocker_late, blocker_stale, blocker_undated, overdue
from services.scheduler.domain.risk_windows import Findings, own_reasons
from services.scheduler.domain.score import band_of, demand_terms, other_team, raw_score, rounded
from services.scheduler.domain.snapshot import Flags, Ints, NodeArrays
from services.scheduler.domain.verdict import flagged
from services.scheduler.domain.window import Window


def assess_flagged(
    state: EngineState, arrays: NodeArrays, found: Findings, finish: Ints, today: int
) -> list[Assessment]:
    """The assessments of ``found.flagged``, in that order."""
    loud = found.flagged.tolist()
    reasons, crossing = _blamed(state, found, loud)
    overdue_itself = overdue.is_overdue(arrays.open_, arrays.target, today)
    own = own_reasons(state, arrays, overdue_itself)[found.flagged]
    for n in np.flatnonzero(own).tolist():
        reasons[loud[n]][:0] = item_reasons(state, loud[n], Window(today))
    target, forecast = arrays.target[found.flagged], finish[found.flagged]
    slipped = slip(forecast, target)
    off = is_off_track(slipped, overdue_itself[found.flagged], state.policy)
    demand = np.array(demand_terms(map(state.waiting.__getitem__, loud)), dtype=np.float64)
    raw = raw_score(off, slipped, demand, crossing[found.flagged], state.policy)
    score = rounded(raw.tolist())
    band = band_of(np.array(score, dtype=np.float64), state.policy).tolist()
    level = [LEVEL_OF[o] for o in off.tolist()]
    rows = zip(loud, forecast.tolist(), level, score, band, slipped.tolist(), strict=True)
    return [
        flagged(state, n, f, _target(state, n), reasons[n], (lv, sc, b, sl))
        for n, f, lv, sc, b, sl in rows
    ]


def _target(state: EngineState, n: int) -> date | None:
    item = state.facts.items[n]
    assert item is not None, "a flagged item is known"
    return item.target


def _blamed(
    state: EngineState, found: Findings, loud: list[int]
) -> tuple[dict[int, list[PendingReason]], Flags]:
    """Each flagged item's blocker reasons, and whether a blamed blocker is in another team."""
    facts, ids, policy = state.facts, state.graph.ids, state.policy
    items, finish = facts.items, state.finish
    reasons: dict[int, list[PendingReason]] = {n: [] for n in loud}
    crossing = np.zeros(len(items), dtype=np.bool_)
    for d, s, after, due, stale, undated in zip(
        found.dst.tolist(),
        found.src.tolist(),
        found.late_after.tolist(),
        found.overdue.tolist(),
        found.stale.tolist(),
        found.undated.tolist(),
        strict=True,
    ):
        bid, mine, blocker = ids[s], reasons[d], items[s]
        target = facts.target[d]
        if after >= 0:
            mine.append(blocker_late.pending(bid, finish[s], after, target, facts.start[d]))
        if due:
            mine.append(overdue.pending_blocker_reason(bid, facts.target[s]))
        if stale:
            mine.append(blocker_stale.pending(bid, facts.updated[s], target, policy))
        if undated:
            mine.append(blocker_undated.pending(bid, known=blocker is not None))
        if other_team(items[d].team, None if blocker is None else blocker.team):
            crossing[d] = True
    return reasons, crossing
