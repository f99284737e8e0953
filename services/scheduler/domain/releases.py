"""Releases and which of their items forecast past the due date."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import numpy.typing as npt

from services.scheduler.domain.dates import NO_DATE, ordinal
from services.scheduler.domain.model import Release
from services.scheduler.domain.reasons.release_at_risk import threatens
from shared.events import ReleaseState


class ReleaseBook:
    """Membership and lateness per release id; ids may be known before the release itself."""

    def __init__(self) -> None:
        self.releases: dict[str, Release] = {}
        self.members: defaultdict[str, set[int]] = defaultdict(set)
        self._late: defaultdict[str, set[int]] = defaultdict(set)
        self._due: dict[str, int] = {}
        self.flagged: set[str] = set()

    def due(self, release_id: str) -> int:
        """The due ordinal of an open release, else NO_DATE (nothing can be late for it)."""
        return self._due.get(release_id, NO_DATE)

    def upsert(self, release: Release, finish: list[int]) -> None:
        self.releases[release.id] = release
        open_ = release.state is ReleaseState.OPEN
        due = ordinal(release.due) if open_ else NO_DATE
        self._due[release.id] = due
        late = self._late[release.id]
        late.clear()
        late.update(n for n in self.members[release.id] if threatens(finish[n], due))

    def join(self, n: int, release_id: str, finish: int) -> None:
        self.members[release_id].add(n)
        self.place(n, release_id, finish)

    def leave(self, n: int, release_id: str) -> None:
        self.members[release_id].discard(n)
        self._late[release_id].discard(n)

    def place(self, n: int, release_id: str, finish: int) -> None:
        if threatens(finish, self.due(release_id)):
            self._late[release_id].add(n)
        else:
            self._late[release_id].discard(n)

    def place_all(self, finish: npt.NDArray[np.int64]) -> None:
        """Every member's lateness from scratch (the full pass), one release at a time in
        numpy: the same ``threatens`` over a release's members at once."""
        for rid, members in self.members.items():
            nodes = np.fromiter(members, dtype=np.int64, count=len(members))
            self._late[rid] = set(nodes[threatens(finish[nodes], self.due(rid))].tolist())

    def refresh(self, release_ids: set[str]) -> set[str]:
        """Update the at-risk flags of these releases; returns those whose flag flipped."""
        flipped: set[str] = set()
        for rid in release_ids:
            at_risk = bool(self._late.get(rid))
            if at_risk != (rid in self.flagged):
                flipped.add(rid)
                if at_risk:
                    self.flagged.add(rid)
                else:
                    self.flagged.discard(rid)
        return flipped

    def late_members(self, release_id: str) -> set[int]:
        return set(self._late.get(release_id, ()))
