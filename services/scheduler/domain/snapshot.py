"""The engine's per-node lists and active edges as numpy arrays, for the full pass.

The lists stay the source of truth: incremental passes touch single nodes, where numpy scalars
cost more than list items. A full pass copies them here once, O(V + E) in C, computes over
whole arrays and writes its results back as lists. Edges come in no particular order: every
consumer either groups them itself or combines them with order-free max/min.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.scheduler.domain.engine import EngineState
from services.scheduler.domain.graph import SHIFT

Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class NodeArrays:
    """``src[e]`` blocks ``dst[e]`` for every active edge (those inside a cycle are left out)."""

    known: Flags
    open_: Flags
    target: Ints
    start: Ints
    duration: Ints
    done: Ints
    updated: Ints
    cycle: Ints
    src: Ints
    dst: Ints

    @property
    def size(self) -> int:
        return len(self.known)


def snapshot(state: EngineState) -> NodeArrays:
    facts, graph = state.facts, state.graph
    packed = graph.edge_array()
    src, dst = packed >> SHIFT, packed & ((1 << SHIFT) - 1)
    cycle = _ints(graph.cycle_of)
    active = (cycle[dst] < 0) | (cycle[src] != cycle[dst])
    column = facts.columns()
    known = column["known"]
    return NodeArrays(
        known=known,
        open_=column["is_open"] & known,
        target=column["target"],
        start=column["start"],
        duration=column["duration"],
        done=column["done"],
        updated=column["updated"],
        cycle=cycle,
        src=src[active],
        dst=dst[active],
    )


def _ints(values: list[int]) -> Ints:
    # fromiter with a known count: about half the time of asarray on a list of ints (measured)
    return np.fromiter(values, dtype=np.int64, count=len(values))


def out_edges(first: Ints, nodes: Ints) -> Ints:
    """Positions of every edge leaving ``nodes`` in edges sorted by source, where ``first[n]``
    is the position of ``n``'s first edge (``first`` has one more slot than there are nodes)."""
    begin, counts = first[nodes], first[nodes + 1] - first[nodes]
    total = int(counts.sum())
    offsets = np.cumsum(counts) - counts
    return np.repeat(begin - offsets, counts) + np.arange(total, dtype=np.int64)
