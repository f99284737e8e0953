"""The dependency graph: ids mapped to ints, adjacency lists, a topological rank and cycles.

Invariant between mutations (once ``region`` is repaired): every edge that is not inside a
cycle goes from a lower rank to a higher one, and each cycle's members hold a contiguous block
of ranks. Edges inside a cycle are *inactive*: the engine does not compare dates along them,
because a cycle has no first item; the cycle itself is reported instead.
"""

from __future__ import annotations

from services.scheduler.domain.order import order_and_cycles, order_subset, reorder_locally

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
        # Ranks are always a permutation of 0..n-1. ``region`` is a window of ranks whose order
        # an edge change broke and that ``repair`` must redo before anyone walks the graph.
        self.region: tuple[int, int] | None = None
        self._edges: set[int] = set()

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
        self.dependants[u].append(v)
        self.blockers[v].append(u)
        if not self.active(u, v):
            return True
        rank = self.rank
        if u != v and rank[u] < rank[v]:
            return True
        # Once a window is broken the local reorder's assumptions no longer hold: widen it.
        if (
            u == v
            or self.region is not None
            or not reorder_locally(u, v, rank, self.dependants, self.blockers, self.cycle_of)
        ):
            self._widen(rank[v], rank[u])
        return True

    def remove_edge(self, u: int, v: int) -> bool:
        key = u << SHIFT | v
        if key not in self._edges:
            return False
        self._edges.discard(key)
        self.dependants[u].remove(v)
        self.blockers[v].remove(u)
        if not self.active(u, v):
            # The cycle may split: re-order the ranks its members hold.
            block = [self.rank[m] for m in self.cycle_members(v)]
            self._widen(min(block), max(block))
        return True

    def _widen(self, low: int, high: int) -> None:
        if self.region is not None:
            low, high = min(low, self.region[0]), max(high, self.region[1])
        self.region = (low, high)

    def drop_edges(self, n: int) -> tuple[list[int], list[int]]:
        """Remove every edge touching ``n``; returns its former blockers and dependants."""
        blockers, dependants = list(self.blockers[n]), list(self.dependants[n])
        for b in blockers:
            self.remove_edge(b, n)
        for d in dependants:
            self.remove_edge(n, d)
        return blockers, dependants

    def edge_keys(self) -> set[int]:
        """Every edge as ``blocker << 32 | blocked``, read-only: the full pass copies all of
        them into an array at once, faster than walking the adjacency lists."""
        return self._edges

    def restructure(self) -> tuple[set[int], list[int]]:
        """Recompute ranks and cycles from scratch.

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
        after = {n: members for members in self.cycles.values() for n in members}
        self.region = None
        changed = {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}
        return changed, order

    def repair(self) -> set[int]:
        """Re-order the broken window of ranks, and its cycles, in place.

        The window grows to hold every cycle it touches, so no edge crosses its edges the
        wrong way; inside it a fresh order (and fresh cycles) takes the same rank slots.
        Returns the nodes whose cycle membership changed.
        """
        if self.region is None:
            return set()
        low, high = self._whole_cycles(*self.region)
        self.region = None
        rank = self.rank
        nodes = [n for n, r in enumerate(rank) if low <= r <= high]
        order, cycles = order_subset(nodes, self.dependants, self.blockers)
        for slot, n in enumerate(order, start=low):
            rank[n] = slot
        old = {self.cycle_of[n] for n in nodes if self.cycle_of[n] >= 0}
        before = {m: members for c in old for members in [self.cycles.pop(c)] for m in members}
        for n in nodes:
            self.cycle_of[n] = -1
        after: dict[int, tuple[int, ...]] = {}
        number = max(self.cycles, default=-1) + 1
        for offset, members in enumerate(cycles):
            ordered = self.cycles[number + offset] = tuple(sorted(members))
            for m in ordered:
                self.cycle_of[m], after[m] = number + offset, ordered
        return {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}

    def _whole_cycles(self, low: int, high: int) -> tuple[int, int]:
        grown = True
        while grown:
            grown = False
            for members in self.cycles.values():
                ranks = [self.rank[m] for m in members]
                if (
                    max(ranks) >= low
                    and min(ranks) <= high
                    and (min(ranks) < low or max(ranks) > high)
                ):
                    low, high, grown = min(low, *ranks), max(high, *ranks), True
        return low, high

    def cycle_members(self, n: int) -> tuple[int, ...]:
        c = self.cycle_of[n]
        return () if c < 0 else self.cycles[c]
