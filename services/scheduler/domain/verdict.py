"""From reasons to a verdict: level, ranking score, coarse band and change signature.

Policy (defaults in ``RiskPolicy``):
- done items are on track with no reasons and score 0, whatever happened on the way;
- off_track when the item itself is overdue or slips by ``off_track_slip_days`` or more;
- at_risk for any other reason; on_track (score 0, band 0) when there is none;
- score = level base (10 at risk, 40 off track)
  + ``slip_weight`` x slip days (capped at ``slip_cap_days``)
  + ``demand_weight`` x ln(1 + demand waiting on the item and its heaviest dependant chain)
  + ``team_weight`` if a blocker named in a reason belongs to another team;
- band = 0 on track, else 1 + the number of ``band_edges`` the score reaches (1..4 by default).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from datetime import date

from services.scheduler.domain.facts import day_of
from services.scheduler.domain.model import QUIET, Assessment, RiskPolicy
from services.scheduler.domain.rules import blocker_reasons, item_is_quiet, item_reasons
from services.scheduler.domain.screening import Window, suspect_blockers
from services.scheduler.domain.state import EngineState
from shared.events import RiskLevel, RiskReason

_ORDER = {
    code: rank
    for rank, code in enumerate(
        (
            "item_overdue",
            "blocker_late",
            "blocker_overdue",
            "blocker_stale",
            "blocker_undated",
            "cycle",
            "release_at_risk",
        )
    )
}


def assess_node(state: EngineState, n: int, today: int) -> tuple[Assessment, int, int]:
    """The assessment of known item ``n`` and the window ``[from, until)`` it holds for."""
    policy, facts = state.policy, state.facts
    item = facts.items[n]
    assert item is not None, "only known items are assessed"
    window = Window(today)
    if not facts.is_open[n]:
        return quiet(state, n), window.start, window.until
    suspects = suspect_blockers(state, n, window, policy)
    if not suspects and item_is_quiet(state, n, item.release_id, window):
        return quiet(state, n), window.start, window.until
    reasons, crosses = _reasons(state, n, item.team, suspects, window)
    return _verdict(state, n, item.target, reasons, crosses), window.start, window.until


def _verdict(
    state: EngineState, n: int, target: date | None, reasons: list[RiskReason], crosses: bool
) -> Assessment:
    policy, finish, own = state.policy, state.finish[n], state.facts.target[n]
    slip = finish - own if finish >= 0 and own >= 0 else 0
    if len(reasons) > 1:  # most items at risk have exactly one reason
        reasons.sort(key=reason_order)
    level = _level(reasons, slip, policy)
    score = _score(level, slip, state.waiting[n], crosses, policy)
    band = 0 if level is RiskLevel.ON_TRACK else 1 + bisect_right(policy.band_edges, score)
    return flagged(state, n, finish, target, reasons, (level, score, band, slip))


def flagged(
    state: EngineState,
    n: int,
    finish: int,
    target: date | None,
    reasons: list[RiskReason],
    numbers: tuple[RiskLevel, float, int, int],
) -> Assessment:
    """The one place an assessment with reasons and its change signature are built; the
    incremental path (``_verdict``) and the full pass (``loud``) both end here."""
    level, score, band, slip = numbers
    blamed = tuple([(r.code, r.blocker_id or "") for r in reasons])
    return Assessment(
        item_id=state.graph.ids[n],
        level=level,
        score=score,
        band=band,
        slip_days=slip,
        forecast=day_of(finish),
        target=target,
        reasons=tuple(reasons),
        chain=state.chains[n],
        signature=(level, band, blamed),
    )


def reason_order(reason: RiskReason) -> tuple[int, str]:
    return _ORDER.get(reason.code, 99), reason.blocker_id or ""


def _reasons(
    state: EngineState, n: int, team: str | None, suspects: list[int], window: Window
) -> tuple[list[RiskReason], bool]:
    """Every reason of open item ``n``, and whether a blamed blocker is in another team."""
    facts, reasons, crosses = state.facts, item_reasons(state, n, window), False
    for b in suspects:
        found = blocker_reasons(state, n, b, window, state.policy)
        if found:
            reasons.extend(found)
            other = facts.items[b]
            theirs = None if other is None else other.team
            crosses = crosses or (theirs is not None and team not in (None, theirs))
    return reasons, crosses


def current(state: EngineState, n: int) -> Assessment | None:
    """The stored assessment of node ``n``, building a quiet one the full pass left unbuilt.

    Four in five items are usually on track with nothing to say; a full pass over 100k items
    spent a third of its time constructing their assessments before anyone asked for them.
    Building one later gives the same value, because every change that could alter a quiet
    item's assessment re-assesses it (and stores the result) first.
    """
    if n in state.unbuilt:
        state.unbuilt.discard(n)
        state.assessments[n] = quiet(state, n)
    return state.assessments[n]


def quiet(state: EngineState, n: int) -> Assessment:
    """The common case, built without the sorting and scoring an item at risk needs."""
    item = state.facts.items[n]
    assert item is not None, "only known items are assessed"
    finish, target = state.finish[n], state.facts.target[n]
    slip = finish - target if finish >= 0 and target >= 0 else 0
    return Assessment(
        item_id=state.graph.ids[n],
        level=RiskLevel.ON_TRACK,
        score=0.0,
        band=0,
        slip_days=slip,
        forecast=day_of(finish),
        target=item.target,
        reasons=(),
        chain=state.chains[n],
        signature=QUIET,
    )


def _level(reasons: list[RiskReason], slip: int, policy: RiskPolicy) -> RiskLevel:
    if not reasons:
        return RiskLevel.ON_TRACK
    if slip >= policy.off_track_slip_days or reasons[0].code == "item_overdue":
        return RiskLevel.OFF_TRACK
    return RiskLevel.AT_RISK


def _score(level: RiskLevel, slip: int, waiting: float, crosses: bool, policy: RiskPolicy) -> float:
    if level is RiskLevel.ON_TRACK:
        return 0.0
    base = policy.off_track_base if level is RiskLevel.OFF_TRACK else policy.at_risk_base
    slipped = min(max(slip, 0), policy.slip_cap_days) * policy.slip_weight
    demand = policy.demand_weight * math.log1p(max(waiting, 0.0))
    team = policy.team_weight if crosses else 0.0
    return round(base + slipped + demand + team, 2)
