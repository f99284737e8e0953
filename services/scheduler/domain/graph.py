"""The dependency graph: ids mapped to ints, adjacency lists, a topological rank and cycles.

Invariant between mutations (once ``order_stale`` is cleared): every edge that is not inside a
cycle goes from a lower rank to a higher one, and each cycle's members hold a contiguous block
of ranks. Edges inside a cycle are *inactive*: the engine does not compare dates along them,
because a cycle has no first item; the cycle itself is reported instead.
"""

from __future__ import annotations

from services.scheduler.domain.order import order_and_cycles, reorder_locally

_SHIFT = 32


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
        self.order_stale = False
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
        key = u << _SHIFT | v
        if key in self._edges:
            return False
        self._edges.add(key)
        self.dependants[u].append(v)
        self.blockers[v].append(u)
        if self.order_stale or not self.active(u, v):
            return True
        if u == v or (
            self.rank[u] > self.rank[v]
            and not reorder_locally(u, v, self.rank, self.dependants, self.blockers, self.cycle_of)
        ):
            self.order_stale = True
        return True

    def remove_edge(self, u: int, v: int) -> bool:
        key = u << _SHIFT | v
        if key not in self._edges:
            return False
        self._edges.discard(key)
        self.dependants[u].remove(v)
        self.blockers[v].remove(u)
        if not self.active(u, v):
            # The cycle may split; only a global pass can say into what.
            self.order_stale = True
        return True

    def drop_edges(self, n: int) -> tuple[list[int], list[int]]:
        """Remove every edge touching ``n``; returns its former blockers and dependants."""
        blockers, dependants = list(self.blockers[n]), list(self.dependants[n])
        for b in blockers:
            self.remove_edge(b, n)
        for d in dependants:
            self.remove_edge(n, d)
        return blockers, dependants

    def edge_count(self) -> int:
        return len(self._edges)

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
        self.order_stale = False
        changed = {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}
        return changed, order

    def cycle_members(self, n: int) -> tuple[int, ...]:
        c = self.cycle_of[n]
        return () if c < 0 else self.cycles[c]
