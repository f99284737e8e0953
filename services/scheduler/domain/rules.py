"""The reasons an open item is at risk, each with evidence, and the window they hold for.

Time enters only here, through ``today``: forecasts never depend on it. Every rule that reads
``today`` is a threshold "today >= t", so each assessment also reports the window of days in
which none of its thresholds is crossed; the timer re-checks an item only when it leaves it.
For the same reason evidence quotes dates, never "N days ago" counts that would change daily.
"""

from __future__ import annotations

from functools import lru_cache

from services.scheduler.domain.facts import NO_DATE, day_of
from services.scheduler.domain.model import RiskPolicy
from services.scheduler.domain.state import FOREVER, EngineState
from shared.events import RiskReason


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
    reasons only for the few suspects, is what keeps a full pass over 300k edges fast. It
    records the thresholds it sees not yet passed, exactly as ``blocker_reasons`` would.
    """
    facts, graph = state.facts, state.graph
    items, is_open, targets, updated, finish = (
        facts.items,
        facts.is_open,
        facts.target,
        facts.updated,
        state.finish,
    )
    cycle_of, own_cycle, today = graph.cycle_of, graph.cycle_of[n], window.today
    target, start, duration = targets[n], facts.start[n], facts.duration[n]
    late_after = target - duration if target >= 0 else start
    near, stale_after, until = target - policy.near_target_days, policy.stale_after_days, FOREVER
    suspects: list[int] = []
    for b in graph.blockers[n]:
        if own_cycle >= 0 and cycle_of[b] == own_cycle:
            continue
        f = finish[b]
        if items[b] is None or (late_after >= 0 and f > late_after):
            suspects.append(b)
            continue
        if not is_open[b]:
            continue
        due = targets[b] + 1
        if due > 0:
            if today >= due:
                suspects.append(b)
                continue
            until = due if due < until else until
        elif f < 0:
            suspects.append(b)
            continue
        if target >= 0 and updated[b] >= 0:
            stale = updated[b] + stale_after
            stale = near if near > stale else stale
            if today >= stale:
                suspects.append(b)
                continue
            until = stale if stale < until else until
    if until < window.until:
        window.until = until
    return suspects


class BlockerDigest:
    """Per-node thresholds as a blocker, so a full pass screens all of an item's blockers with
    a few C-level ``min``/``max``/``any`` over ``map`` instead of a Python loop per edge.

    ``due``: first day the node is overdue as an open blocker; ``stale_from``: its last update
    plus the staleness period; ``undated``: unknown, or open with neither target nor forecast.
    """

    __slots__ = ("due", "stale_from", "undated")

    def __init__(self, state: EngineState) -> None:
        facts, finish = state.facts, state.finish
        after = state.policy.stale_after_days
        live = [i is not None and o for i, o in zip(facts.items, facts.is_open, strict=True)]
        self.due = [
            t + 1 if o and t >= 0 else FOREVER for o, t in zip(live, facts.target, strict=True)
        ]
        self.stale_from = [
            u + after if o and u >= 0 else FOREVER for o, u in zip(live, facts.updated, strict=True)
        ]
        self.undated = [
            i is None or (o and t < 0 and f < 0)
            for i, o, t, f in zip(facts.items, live, facts.target, finish, strict=True)
        ]


def screen_blockers(
    state: EngineState, digest: BlockerDigest, n: int, window: Window, policy: RiskPolicy
) -> list[int]:
    """``suspect_blockers`` with the common no-suspect case decided in C."""
    blockers = state.graph.blockers[n]
    if not blockers:
        return []
    if state.graph.cycle_of[n] >= 0:
        return suspect_blockers(state, n, window, policy)
    facts, today = state.facts, window.today
    target = facts.target[n]
    late_after = target - facts.duration[n] if target >= 0 else facts.start[n]
    if late_after >= 0 and max(map(state.finish.__getitem__, blockers)) > late_after:
        return suspect_blockers(state, n, window, policy)
    if any(map(digest.undated.__getitem__, blockers)):
        return suspect_blockers(state, n, window, policy)
    until = min(map(digest.due.__getitem__, blockers))
    if until <= today:
        return suspect_blockers(state, n, window, policy)
    if target >= 0:
        stale = min(map(digest.stale_from.__getitem__, blockers))
        if stale < FOREVER:
            stale = max(stale, target - policy.near_target_days)
            if stale <= today:
                return suspect_blockers(state, n, window, policy)
            until = min(until, stale)
    if until < window.until:
        window.until = until
    return []


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


@lru_cache(maxsize=4096)
def _iso(ordinal: int) -> str:
    day = day_of(ordinal)
    return "" if day is None else day.isoformat()


def blocker_reasons(
    state: EngineState, n: int, b: int, window: Window, policy: RiskPolicy
) -> list[RiskReason]:
    """What blocker ``b`` does to item ``n`` (an active edge)."""
    facts, bid = state.facts, state.graph.ids[b]
    if facts.items[b] is None:
        return [_undated(bid, known=False)]
    found: list[RiskReason] = []
    finish = state.finish[b]
    late = _late(bid, finish, facts.target[n], facts.start[n], facts.duration[n])
    if late is not None:
        found.append(late)
    if not facts.is_open[b]:
        return found
    target = facts.target[b]
    if target >= 0 and window.passed(target + 1):
        found.append(_overdue(bid, target))
    if target < 0 and finish < 0:
        found.append(_undated(bid, known=True))
    stale = _stale(state, n, b, window, policy)
    if stale is not None:
        found.append(stale)
    return found


def _stale(
    state: EngineState, n: int, b: int, window: Window, policy: RiskPolicy
) -> RiskReason | None:
    updated, target = state.facts.updated[b], state.facts.target[n]
    if updated < 0 or target < 0:
        return None
    threshold = max(updated + policy.stale_after_days, target - policy.near_target_days)
    if not window.passed(threshold):
        return None
    return RiskReason(
        code="blocker_stale",
        message=f"{state.graph.ids[b]} has had no update since {_iso(updated)}, target is near",
        blocker_id=state.graph.ids[b],
        evidence={
            "last_update": _iso(updated),
            "stale_after_days": str(policy.stale_after_days),
            "item_target": _iso(target),
        },
    )


def _late(bid: str, finish: int, target: int, start: int, duration: int) -> RiskReason | None:
    """Late means this blocker alone pushes the forecast past the target (or, with no target,
    finishes after the planned start): the same arithmetic as the forecast itself."""
    if finish < 0:
        return None
    if target >= 0:
        days = finish + duration - target
    elif start >= 0:
        days = finish - start
    else:
        return None
    if days <= 0:
        return None
    evidence = {"blocker_forecast": _iso(finish), "days_late": str(days)}
    if target >= 0:
        evidence["item_target"] = _iso(target)
    if start >= 0:
        evidence["item_start"] = _iso(start)
    what = "start" if start >= 0 else "target"
    return RiskReason(
        code="blocker_late",
        message=f"{bid} is forecast to finish on {_iso(finish)}, after this item's planned {what}",
        blocker_id=bid,
        evidence=evidence,
    )


@lru_cache(maxsize=8192)
def _overdue(bid: str, target: int) -> RiskReason:
    return RiskReason(
        code="blocker_overdue",
        message=f"{bid} is still open past its target of {_iso(target)}",
        blocker_id=bid,
        evidence={"blocker_target": _iso(target)},
    )


@lru_cache(maxsize=8192)
def _undated(bid: str, *, known: bool) -> RiskReason:
    message = "has no target date" if known else "is not known to the scheduler yet"
    return RiskReason(
        code="blocker_undated",
        message=f"{bid} {message}",
        blocker_id=bid,
        evidence={"blocker_known": "true" if known else "false"},
    )


def item_is_quiet(state: EngineState, n: int, release_id: str | None, window: Window) -> bool:
    """True when ``item_reasons`` would find nothing, decided without building anything."""
    if state.graph.cycle_of[n] >= 0 or (
        release_id is not None and release_id in state.releases.flagged
    ):
        return False
    target = state.facts.target[n]
    return target < 0 or not window.passed(target + 1)


def item_reasons(state: EngineState, n: int, window: Window) -> list[RiskReason]:
    """Reasons about the item itself: a cycle it sits in, its release, its own target."""
    found: list[RiskReason] = []
    graph, facts = state.graph, state.facts
    members = graph.cycle_members(n)
    if members:
        found.append(_cycle(tuple(sorted(graph.ids[m] for m in members))))
    item = facts.items[n]
    rid = None if item is None else item.release_id
    if rid is not None and rid in state.releases.flagged:
        release = state.releases.releases[rid]
        found.append(_release_at_risk(rid, release.name, _iso(state.releases.due(rid))))
    target = facts.target[n]
    if target != NO_DATE and window.passed(target + 1):
        found.append(
            RiskReason(
                code="item_overdue",
                message=f"still open past its target of {_iso(target)}",
                evidence={"target": _iso(target)},
            )
        )
    return found


# Cached: every member of a cycle or a release shares one identical reason object.
@lru_cache(maxsize=1024)
def _cycle(names: tuple[str, ...]) -> RiskReason:
    return RiskReason(
        code="cycle",
        message=f"part of a dependency cycle of {len(names)} items",
        evidence={"members": ",".join(names), "size": str(len(names))},
    )


@lru_cache(maxsize=1024)
def _release_at_risk(rid: str, name: str, due: str) -> RiskReason:
    return RiskReason(
        code="release_at_risk",
        message=f"release {name} has items forecast past its due date {due}",
        evidence={"release_id": rid, "release_name": name, "due": due},
    )
