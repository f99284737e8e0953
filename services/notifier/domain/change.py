"""What happened, as routing, digests and messages need it: one shape for every event kind.

A risk change is about an item; a release slipping, a demand surge and a closable loop are
carried in the same shape so they share one path (routing, digest windows, throttle, quiet
hours, the outbox). ``kind`` says which, and ``key`` keeps two kinds about the same id apart
in a window and in what a person was last told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.events import RiskLevel

SEVERITY = {RiskLevel.ON_TRACK: 0, RiskLevel.AT_RISK: 1, RiskLevel.OFF_TRACK: 2}
EVENT_KINDS = ("risk", "release", "demand_surge", "loop_closable")
# Kinds whose level moves and can move back: a revert inside a window cancels out, and a
# subscription's ``min_level`` applies. A surge or a closable loop is news each time.
LEVELLED_KINDS = ("risk", "release")


@dataclass(frozen=True)
class Change:
    """No transport details; ``related`` and ``recipients`` are used by some kinds only."""

    cause_id: str
    item_id: str
    level: RiskLevel
    previous_level: RiskLevel | None = None
    kind: str = "risk"
    team: str | None = None
    release_id: str | None = None
    owner: str | None = None
    title: str | None = None
    target: date | None = None
    forecast: date | None = None
    slip_days: int = 0
    reasons: tuple[str, ...] = ()
    chain: tuple[str, ...] = ()
    # The chain's members by id, in the same order (``chain`` names them for people).
    chain_ids: tuple[str, ...] = ()
    url: str | None = None
    # release: the items carrying it past its date; loop_closable: the customers waiting.
    related: tuple[str, ...] = ()
    # Identities or emails that hear of it besides owners and subscribers (account owners).
    recipients: tuple[str, ...] = ()
    # risk: who waits on the item itself, as feedback last reported it (None: nobody).
    customers: int | None = None
    organisations: int | None = None

    @property
    def key(self) -> str:
        return self.item_id if self.kind == "risk" else f"{self.kind}|{self.item_id}"

    @property
    def levelled(self) -> bool:
        return self.kind in LEVELLED_KINDS


def owner_identity(change: Change) -> str | None:
    """Sources name owners bare (a GitHub login, a Jira accountId); the item id names the tool."""
    if change.owner is None or ":" in change.owner:
        return change.owner
    tool = change.item_id.partition(":")[0]
    return f"{tool}:{change.owner}"


def reaches(change: Change, min_level: RiskLevel) -> bool:
    """A change matters if either side of it is at the level: going red and coming back both.

    Kinds without a level (a surge, a closable loop) always reach.
    """
    if not change.levelled:
        return True
    before = SEVERITY[change.previous_level] if change.previous_level is not None else 0
    return max(SEVERITY[change.level], before) >= SEVERITY[min_level]
