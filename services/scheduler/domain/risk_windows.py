"""The full pass's screen: which items have a reason, and every item's time window.

The rules of ``blocker_reasons.findings``, over all active edges into open items at once, and
the thresholds they read: an open item's own overdue day, and for each open blocker its
overdue day and its staleness day. A threshold at or before ``today`` has been crossed, so
the window ``[from, until)`` runs from the latest crossed threshold to the earliest pending
one. Only items with a reason are then assessed, by ``flagged``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.scheduler.domain.blocker_reasons import findings
from services.scheduler.domain.engine import EngineState
from services.scheduler.domain.reasons import blocker_stale, overdue
from services.scheduler.domain.reasons.blocker_late import late_after
from services.scheduler.domain.snapshot import Flags, Ints, NodeArrays
from services.scheduler.domain.wide_items import EdgeScreens
from services.scheduler.domain.window import FOREVER, crossed


@dataclass(frozen=True, eq=False)
class Findings:
    flagged: Ints
    # Every active edge that gives its (open) dependant a reason, and which reasons it gives.
    src: Ints
    dst: Ints
    late: Flags
    # Where ``late``: the dependant's ``late_after`` (which the reason quotes), else -1.
    late_after: Ints
    overdue: Flags
    stale: Flags
    undated: Flags
    valid_from: Ints
    valid_until: Ints
    # The screen of every active edge into an open item, and each item's ``late_after``: what
    # ``wide_items.seed`` keeps for items with many blockers.
    screens: EdgeScreens
    after: Ints


def find_all(state: EngineState, arrays: NodeArrays, finish: Ints, today: int) -> Findings:
    policy, a = state.policy, arrays
    into_open = a.open_[a.dst]
    src, dst = a.src[into_open], a.dst[into_open]
    own_target = a.target[dst]
    blocker = (a.known[src], a.open_[src], a.target[src], a.updated[src])
    after_of = late_after(a.target, a.start, a.duration)
    after = after_of[dst]
    late, due, stale, undated = findings(blocker, finish[src], after, own_target, today, policy)
    gives = late | undated | due | stale
    dated = overdue.dated(blocker[1], blocker[2])
    watched = blocker_stale.watched(blocker[1], blocker[3], own_target)
    stale_at = blocker_stale.stale_from(blocker[3], own_target, policy)
    targeted = overdue.dated(a.open_, a.target)
    valid_from, valid_until = _windows(
        a.size,
        today,
        np.concatenate((dst[dated], dst[watched], np.flatnonzero(targeted))),
        np.concatenate(
            (
                overdue.overdue_from(blocker[2][dated]),
                stale_at[watched],
                overdue.overdue_from(a.target[targeted]),
            )
        ),
    )
    loud = own_reasons(state, a, overdue.is_overdue(a.open_, a.target, today))
    loud[dst[gives]] = True
    return Findings(
        np.flatnonzero(loud),
        src[gives],
        dst[gives],
        late[gives],
        np.where(late, after, -1)[gives],
        due[gives],
        stale[gives],
        undated[gives],
        valid_from,
        valid_until,
        EdgeScreens(src, dst, gives, blocker),
        after_of,
    )


def _windows(size: int, today: int, nodes: Ints, thresholds: Ints) -> tuple[Ints, Ints]:
    valid_from = np.zeros(size, dtype=np.int64)
    valid_until = np.full(size, FOREVER, dtype=np.int64)
    passed = crossed(thresholds, today)
    np.maximum.at(valid_from, nodes[passed], thresholds[passed])
    np.minimum.at(valid_until, nodes[~passed], thresholds[~passed])
    return valid_from, valid_until


def in_flagged_release(state: EngineState, size: int) -> Flags:
    """Members of a release at risk."""
    member = np.zeros(size, dtype=np.bool_)
    book = state.releases
    for rid in book.flagged:
        member[np.fromiter(book.members[rid], dtype=np.int64)] = True
    return member


def own_reasons(state: EngineState, a: NodeArrays, overdue_itself: Flags) -> Flags:
    """Open items with a reason of their own: overdue, in a cycle, or in a release at risk
    (``item_reasons`` over every item)."""
    return (overdue_itself | (a.cycle >= 0) | in_flagged_release(state, a.size)) & a.open_
