"""Items with many blockers (launch checklists): each blocker's screen is kept between passes.

``blocker_reasons`` screens an item's blockers with ``findings`` and ``pending``. An item
blocked by hundreds of others is re-assessed whenever one of them moves, and re-screening all
of them cost most of a date change (measured: about 1.5 ms of a 2 ms p99 tail). Here the
result per blocker (suspect or not, and the first day it might start to give a reason) is
kept, and only blockers that changed since are screened again, by the same functions; a
change of the item's own dates or of ``today`` screens them all again at once.

What invalidates a kept screen is pushed here by whoever changes it: a blocker's facts or
forecast (``blocker_changed``), the item's edges or cycle (``forget``), a full pass (``seed``
replaces every kept screen with the pass's own screen of that item's edges).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services.scheduler.domain.engine import EngineState

# From this many active blockers on, an item's screen is kept: a launch checklist blocked by
# hundreds of items costs a few numpy calls once, then one scalar screen per changed blocker.
WIDE = 32


@dataclass(frozen=True, eq=False)
class EdgeScreens:
    """The full pass's screen of every active edge into an open item: ``gives`` where the edge
    gives its dependant a reason, and the blocker's facts (known, open, target, last update)."""

    src: Any
    dst: Any
    gives: Any
    blocker: tuple[Any, Any, Any, Any]


@dataclass(eq=False)
class KeptScreen:
    """One wide item's screen: ``suspect[i]`` and ``until[i]`` (FOREVER where suspect) for
    ``blockers[i]``, valid for ``key`` (today, the item's target and ``late_after``) and the
    blockers not in ``stale``. Seeded by a full pass, it is read out of ``edges`` when first
    needed (``blockers`` is None until then): most wide items are never re-assessed."""

    key: tuple[int, int, int]
    blockers: list[int] | None
    at: dict[int, int]
    suspect: Any  # numpy bools
    until: Any  # numpy ints
    stale: set[int] = field(default_factory=set)
    edges: EdgeScreens | None = None


def seed(state: EngineState, edges: EdgeScreens, after: Any, target: Any, today: int) -> None:
    """After a full pass: a kept screen, still to be read out, for every wide open item."""
    state.kept_screens.clear()
    wide = np.flatnonzero(np.bincount(edges.dst, minlength=len(target)) >= WIDE).tolist()
    none = np.zeros(0, dtype=np.bool_)
    for n, t, a in zip(wide, target[wide].tolist(), after[wide].tolist(), strict=True):
        state.kept_screens[n] = KeptScreen((today, t, a), None, {}, none, none, edges=edges)


def blocker_changed(state: EngineState, b: int) -> None:
    """``b``'s facts or forecast changed: its dependants' kept screens must look again."""
    kept = state.kept_screens
    if not kept:
        return
    for d in state.graph.dependants[b]:
        screen = kept.get(d)
        if screen is not None:
            screen.stale.add(b)


def forget(state: EngineState, n: int) -> None:
    """``n``'s blockers (edges, cycle) changed: its screen is rebuilt when next needed."""
    state.kept_screens.pop(n, None)
