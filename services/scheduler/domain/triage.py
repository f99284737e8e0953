"""Triage for the full pass: every item's time window, and which items have anything to say.

The same thresholds as ``rules`` and ``screening``, over all active edges at once: an open
item's target + 1, and for each open blocker its own target + 1 (overdue) and its staleness
threshold. A threshold at or before ``today`` has been crossed and gives a reason, so the window
``[from, until)`` runs from the latest crossed threshold to the earliest pending one.
Only items with a reason ("loud") are then assessed one by one, by ``verdict``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.scheduler.domain.arrays import Flags, Ints, NodeArrays
from services.scheduler.domain.state import FOREVER, EngineState


@dataclass(frozen=True, eq=False)
class Triage:
    loud: Ints
    # Every active edge that gives its (open) dependant a reason, and which reasons it gives.
    src: Ints
    dst: Ints
    late: Flags
    overdue: Flags
    stale: Flags
    undated: Flags
    valid_from: Ints
    valid_until: Ints


def triage(state: EngineState, arrays: NodeArrays, finish: Ints, today: int) -> Triage:
    policy, a = state.policy, arrays
    into_open = a.open_[a.dst]
    src, dst = a.src[into_open], a.dst[into_open]
    own_target, their_target = a.target[dst], a.target[src]
    known, open_ = a.known[src], a.open_[src]
    # A blocker is late when it alone pushes the item past its target (or planned start).
    late_after = np.where(a.target >= 0, a.target - a.duration, a.start)[dst]
    late = known & (late_after >= 0) & (finish[src] > late_after)
    dated = open_ & (their_target >= 0)
    undated = ~known | (open_ & (their_target < 0) & (finish[src] < 0))
    watched = open_ & (a.updated[src] >= 0) & (own_target >= 0)
    stale_at = np.maximum(
        a.updated[src] + policy.stale_after_days, own_target - policy.near_target_days
    )
    overdue, stale = dated & (their_target < today), watched & (stale_at <= today)
    gives = late | undated | overdue | stale
    targeted = a.open_ & (a.target >= 0)
    valid_from, valid_until = _windows(
        a.size,
        today,
        np.concatenate((dst[dated], dst[watched], np.flatnonzero(targeted))),
        np.concatenate((their_target[dated] + 1, stale_at[watched], a.target[targeted] + 1)),
    )
    loud = _loud(state, a, targeted & (a.target < today))
    loud[dst[gives]] = True
    return Triage(
        np.flatnonzero(loud),
        src[gives],
        dst[gives],
        late[gives],
        overdue[gives],
        stale[gives],
        undated[gives],
        valid_from,
        valid_until,
    )


def _windows(size: int, today: int, nodes: Ints, thresholds: Ints) -> tuple[Ints, Ints]:
    valid_from = np.zeros(size, dtype=np.int64)
    valid_until = np.full(size, FOREVER, dtype=np.int64)
    crossed = thresholds <= today
    np.maximum.at(valid_from, nodes[crossed], thresholds[crossed])
    np.minimum.at(valid_until, nodes[~crossed], thresholds[~crossed])
    return valid_from, valid_until


def _loud(state: EngineState, a: NodeArrays, overdue: Flags) -> Flags:
    """Open items with a reason of their own: overdue, in a cycle, or in a release at risk."""
    book = state.releases
    loud = overdue | (a.cycle >= 0)
    for rid in book.flagged:
        members = np.fromiter(book.members[rid], dtype=np.int64)
        loud[members] = True
    return loud & a.open_
