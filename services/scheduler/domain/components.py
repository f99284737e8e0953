"""Splitting one strong component after an edge inside it was removed.

Only the component's own members and the edges among them are looked at: whatever else the
graph holds is ordered correctly around the component as a whole, and stays so around its
parts, because the parts take the rank slots the component held.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.scheduler.domain.order import Adjacency, strong_components


def split(members: Sequence[int], succ: Adjacency) -> list[list[int]]:
    """The strong components among ``members`` alone, blockers first."""
    local = {n: i for i, n in enumerate(members)}
    sub_succ = [[local[d] for d in succ[n] if d in local] for n in members]
    parts = strong_components(range(len(members)), sub_succ)
    # Tarjan emits sinks first; reversed, every edge between parts goes forwards.
    return [[members[i] for i in part] for part in reversed(parts)]


def is_cycle(part: Sequence[int], succ: Adjacency) -> bool:
    """A component is a cycle when it has two members, or one that blocks itself."""
    return len(part) > 1 or part[0] in succ[part[0]]


def lay_out(parts: list[list[int]], rank: list[int]) -> None:
    """Give the parts, in order, the rank slots their members held, each part's together."""
    slots = sorted(rank[n] for part in parts for n in part)
    ordered = [n for part in parts for n in part]
    for n, r in zip(ordered, slots, strict=True):
        rank[n] = r
