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
from services.scheduler.domain.screening import Window
from services.scheduler.domain.state import EngineState
from shared.events import RiskReason


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
        return [undated_reason(bid, known=False)]
    found: list[RiskReason] = []
    finish = state.finish[b]
    late = late_reason(bid, finish, facts.target[n], facts.start[n], facts.duration[n])
    if late is not None:
        found.append(late)
    if not facts.is_open[b]:
        return found
    target = facts.target[b]
    if target >= 0 and window.passed(target + 1):
        found.append(overdue_reason(bid, target))
    if target < 0 and finish < 0:
        found.append(undated_reason(bid, known=True))
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
    return stale_reason(state.graph.ids[b], updated, target, policy)


def stale_reason(bid: str, updated: int, target: int, policy: RiskPolicy) -> RiskReason:
    """Blocker ``bid``, last updated on ``updated``, is stale for an item due on ``target``."""
    return RiskReason(
        code="blocker_stale",
        message=f"{bid} has had no update since {_iso(updated)}, target is near",
        blocker_id=bid,
        evidence={
            "last_update": _iso(updated),
            "stale_after_days": str(policy.stale_after_days),
            "item_target": _iso(target),
        },
    )


def late_reason(bid: str, finish: int, target: int, start: int, duration: int) -> RiskReason | None:
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
def overdue_reason(bid: str, target: int) -> RiskReason:
    return RiskReason(
        code="blocker_overdue",
        message=f"{bid} is still open past its target of {_iso(target)}",
        blocker_id=bid,
        evidence={"blocker_target": _iso(target)},
    )


@lru_cache(maxsize=8192)
def undated_reason(bid: str, *, known: bool) -> RiskReason:
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
        found.append(_item_overdue(target))
    return found


@lru_cache(maxsize=4096)
def _item_overdue(target: int) -> RiskReason:
    return RiskReason(
        code="item_overdue",
        message=f"still open past its target of {_iso(target)}",
        evidence={"target": _iso(target)},
    )


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
