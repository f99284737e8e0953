"""One item's assessment, for the incremental path: reasons, level, score, band, signature.

The rules come from ``reasons``, ``level`` and ``score``; ``flagged`` builds the same
assessments for every item at once in the full pass, from the same functions.
"""

from __future__ import annotations

from datetime import date

from services.scheduler.domain.blocker_reasons import blocker_reasons, suspect_blockers
from services.scheduler.domain.dates import day_of
from services.scheduler.domain.engine import EngineState
from services.scheduler.domain.forecast import slip
from services.scheduler.domain.item_reasons import item_is_quiet, item_reasons
from services.scheduler.domain.level import LEVEL_OF, is_off_track
from services.scheduler.domain.model import QUIET, Assessment, PendingReason
from services.scheduler.domain.reasons import overdue, reason_order
from services.scheduler.domain.score import band_of, demand_terms, other_team, raw_score, rounded
from services.scheduler.domain.window import Window
from shared.events import RiskLevel


def assess_node(state: EngineState, n: int, today: int) -> tuple[Assessment, int, int]:
    """The assessment of known item ``n`` and the window ``[from, until)`` it holds for."""
    facts = state.facts
    item = facts.items[n]
    assert item is not None, "only known items are assessed"
    window = Window(today)
    if not facts.is_open[n]:
        return quiet(state, n), window.start, window.until
    suspects = suspect_blockers(state, n, window)
    if not suspects and item_is_quiet(state, n, item.release_id, window):
        return quiet(state, n), window.start, window.until
    reasons, crosses = _reasons(state, n, item.team, suspects, window)
    if not reasons:
        return quiet(state, n), window.start, window.until
    return _verdict(state, n, item.target, reasons, crosses, today), window.start, window.until


def _verdict(
    state: EngineState,
    n: int,
    target: date | None,
    reasons: list[PendingReason],
    crosses: bool,
    today: int,
) -> Assessment:
    policy, finish, own = state.policy, state.finish[n], state.facts.target[n]
    slipped = slip(finish, own)
    off = is_off_track(slipped, overdue.is_overdue(True, own, today), policy)
    raw = raw_score(off, slipped, demand_terms([state.waiting[n]])[0], crosses, policy)
    score = rounded([raw])[0]
    numbers = (LEVEL_OF[off], score, band_of(score, policy), slipped)
    return flagged(state, n, finish, target, reasons, numbers)


def flagged(
    state: EngineState,
    n: int,
    finish: int,
    target: date | None,
    reasons: list[PendingReason],
    numbers: tuple[RiskLevel, float, int, int],
) -> Assessment:
    """The one place an assessment with reasons and its change signature are built; the
    incremental path (``_verdict``) and the full pass (``flagged``) both end here, with
    (level, score, band, slip) computed by the same rules."""
    level, score, band, slipped = numbers
    if len(reasons) > 1:  # most items at risk have exactly one reason
        reasons.sort(key=reason_order)
    blamed = tuple([(code, blocker) for code, blocker, _, _ in reasons])
    # Positional (item_id, level, score, band, slip_days, forecast, target, reasons, chain,
    # signature): matching eleven keywords cost more than the object (measured: 2.5 us of 4).
    return Assessment(
        state.graph.ids[n],
        level,
        score,
        band,
        slipped,
        day_of(finish),
        target,
        (),
        state.chains[n],
        (level, band, blamed),
        pending=tuple(reasons),
    )


def _reasons(
    state: EngineState, n: int, team: str | None, suspects: list[int], window: Window
) -> tuple[list[PendingReason], bool]:
    """Every reason of open item ``n``, and whether a blamed blocker is in another team."""
    facts, reasons, crosses = state.facts, item_reasons(state, n, window), False
    for b in suspects:
        found = blocker_reasons(state, n, b, window)
        if found:
            reasons.extend(found)
            other = facts.items[b]
            crosses = crosses or other_team(team, None if other is None else other.team)
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
    """An item with no reason (or done): on track, score 0, band 0."""
    item = state.facts.items[n]
    assert item is not None, "only known items are assessed"
    finish = state.finish[n]
    return Assessment(  # positional, as in ``flagged``
        state.graph.ids[n],
        RiskLevel.ON_TRACK,
        0.0,
        0,
        slip(finish, state.facts.target[n]),
        day_of(finish),
        item.target,
        (),
        state.chains[n],
        QUIET,
    )
