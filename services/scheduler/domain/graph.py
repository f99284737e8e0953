"""The dependency graph: ids mapped to ints, adjacency lists, a topological rank and cycles.

Invariant between mutations: ranks are a permutation of 0..n-1 and, for every edge between two
strong components, every node of the blocking one ranks below every node of the blocked one.
So every edge that is not inside a cycle goes from a lower rank to a higher one. Edges inside a
cycle are *inactive*: the engine does not compare dates along them, because a cycle has no
first item; the cycle itself is reported instead.

Each edge change keeps the invariant locally, treating cycles as units: an added edge that
contradicts the order reorders only the components between its ends (``order.reorder_units``)
and merges the ones it closes a cycle through; a removed edge inside a cycle re-splits only
that cycle (``components``). Nothing an edge does re-orders the whole graph.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from services.scheduler.domain.components import is_cycle, lay_out, split
from services.scheduler.domain.order import order_and_cycles, reorder_units

SHIFT = 32


class DependencyGraph:
    """Nodes exist for every id seen in an item, an edge or a demand, known or not."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.blockers: list[list[int]] = []
        self.dependants: list[list[int]] = []
        self.rank: list[int] = []
        self.cycle_of: list[int] = []
        self.cycles: dict[int, tuple[int, ...]] = {}
        self._edges: set[int] = set()
        # ``edge_array``'s last result, and the edges added (True) or removed (False) since.
        self._packed: npt.NDArray[np.int64] | None = None
        self._since_packed: dict[int, bool] = {}
        self._next_cycle = 0
        # Nodes whose cycle membership changed since ``take_cycle_changes`` last ran.
        self._cycle_changes: set[int] = set()

    def node(self, item_id: str) -> int:
        n = self.index.get(item_id)
        if n is None:
            n = len(self.ids)
            self.index[item_id] = n
            self.ids.append(item_id)
            self.blockers.append([])
            self.dependants.append([])
            # A node without edges may take any rank; the largest keeps the invariant trivially.
            self.rank.append(len(self.rank))
            self.cycle_of.append(-1)
        return n

    def active(self, blocker: int, blocked: int) -> bool:
        c = self.cycle_of[blocked]
        return c < 0 or self.cycle_of[blocker] != c

    def add_edge(self, u: int, v: int) -> bool:
        key = u << SHIFT | v
        if key in self._edges:
            return False
        self._edges.add(key)
        self._changed(key, added=True)
        self.dependants[u].append(v)
        self.blockers[v].append(u)
        if not self.active(u, v):
            return True  # inside a cycle already: the order has nothing to say about it
        if u == v:
            self._form_cycle([u])
            return True
        merged = reorder_units(u, v, self.rank, self.dependants, self.blockers, self.unit)
        if merged:
            self._form_cycle(merged)
        return True

    def remove_edge(self, u: int, v: int) -> bool:
        key = u << SHIFT | v
        if key not in self._edges:
            return False
        inside = not self.active(u, v)
        self._edges.discard(key)
        self._changed(key, added=False)
        self.dependants[u].remove(v)
        self.blockers[v].remove(u)
        if inside:
            self._split_cycle(self.cycle_of[v])
        return True

    def unit(self, n: int) -> Sequence[int]:
        """The strong component holding ``n``: its cycle, or ``n`` alone."""
        c = self.cycle_of[n]
        return (n,) if c < 0 else self.cycles[c]

    def _form_cycle(self, nodes: list[int]) -> None:
        for c in {self.cycle_of[n] for n in nodes if self.cycle_of[n] >= 0}:
            del self.cycles[c]
        self._new_cycle(nodes)

    def _new_cycle(self, nodes: list[int]) -> None:
        number = self._next_cycle
        self._next_cycle += 1
        members = self.cycles[number] = tuple(sorted(nodes))
        for n in members:
            self.cycle_of[n] = number
        self._cycle_changes.update(members)

    def _split_cycle(self, c: int) -> None:
        """After an edge inside cycle ``c`` went: its members alone, re-split in place."""
        members = self.cycles[c]
        parts = split(members, self.dependants)
        if len(parts) == 1 and is_cycle(parts[0], self.dependants):
            return  # still one cycle, other paths close it
        del self.cycles[c]
        lay_out(parts, self.rank)
        for part in parts:
            if is_cycle(part, self.dependants):
                self._new_cycle(part)
            else:
                self.cycle_of[part[0]] = -1
        self._cycle_changes.update(members)

    def take_cycle_changes(self) -> set[int]:
        """The nodes whose cycle membership changed since the last call (their dates, demand
        and reasons now cross or ignore other edges)."""
        changed, self._cycle_changes = self._cycle_changes, set()
        return changed

    def drop_edges(self, n: int) -> tuple[list[int], list[int]]:
        """Remove every edge touching ``n``; returns its former blockers and dependants."""
        blockers, dependants = list(self.blockers[n]), list(self.dependants[n])
        for b in blockers:
            self.remove_edge(b, n)
        for d in dependants:
            self.remove_edge(n, d)
        return blockers, dependants

    def edge_array(self) -> npt.NDArray[np.int64]:
        """Every edge as ``blocker << 32 | blocked``, in no particular order, read-only.

        Copying 300,000 edges out of the set costs the full pass 28 ms (measured); patching
        the last copy with the few edges changed since costs a few, in C.
        """
        packed, delta = self._packed, self._since_packed
        if packed is None or len(delta) > len(self._edges) // 8:
            packed = np.fromiter(self._edges, dtype=np.int64, count=len(self._edges))
        elif delta:
            gone = [key for key, added in delta.items() if not added]
            if gone:
                packed = packed[~np.isin(packed, gone)]
            new = [key for key, added in delta.items() if added]
            packed = np.concatenate((packed, np.array(new, dtype=np.int64)))
        packed.setflags(write=False)
        self._packed, self._since_packed = packed, {}
        return packed

    def _changed(self, key: int, *, added: bool) -> None:
        """Note an edge change against ``edge_array``'s last copy; undoing one forgets it."""
        if self._packed is None:
            return
        if key in self._since_packed:
            del self._since_packed[key]
        else:
            self._since_packed[key] = added

    def restructure(self) -> tuple[set[int], list[int]]:
        """Recompute ranks and cycles from scratch: the full pass's safety net, never needed
        while the invariant holds.

        Returns the nodes whose cycle membership changed and the new order (blockers first).
        """
        order, cycles = order_and_cycles(self.dependants, self.blockers)
        rank = self.rank
        for position, n in enumerate(order):
            rank[n] = position
        before = {n: members for members in self.cycles.values() for n in members}
        self.cycle_of = [-1] * len(self.ids)
        self.cycles = {}
        for number, members in enumerate(cycles):
            ordered = tuple(sorted(members))
            self.cycles[number] = ordered
            for n in ordered:
                self.cycle_of[n] = number
        self._next_cycle = len(cycles)
        after = {n: members for members in self.cycles.values() for n in members}
        changed = {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}
        return changed, order

    def cycle_members(self, n: int) -> tuple[int, ...]:
        c = self.cycle_of[n]
        return () if c < 0 else self.cycles[c]
