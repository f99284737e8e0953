"""Value objects of the risk engine: what goes in (items, releases, policy) and what comes out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.events import ItemStatus, ReleaseState, RiskLevel, RiskReason

# A signature is what a person would notice: level, coarse score band and which blockers are
# blamed for what. Everything else (exact score, evidence text) may move without a message.
Signature = tuple[RiskLevel, int, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class Item:
    """A work item as the scheduler's projection knows it; ``start`` is a planned start."""

    id: str
    title: str
    status: ItemStatus
    team: str | None = None
    owner: str | None = None
    target: date | None = None
    start: date | None = None
    done_on: date | None = None
    release_id: str | None = None
    updated_at: datetime | None = None
    # Where a person opens it in its tool; carried so risk messages link back to it.
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Release:
    """A GitHub milestone, Jira version or Linear project with an optional due date."""

    id: str
    name: str
    due: date | None = None
    state: ReleaseState = ReleaseState.OPEN


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    """Thresholds and weights, read by the rules in ``reasons``, ``level`` and ``score``."""

    stale_after_days: int = 14
    near_target_days: int = 14
    off_track_slip_days: int = 7
    at_risk_base: float = 10.0
    off_track_base: float = 40.0
    slip_weight: float = 1.0
    slip_cap_days: int = 90
    demand_weight: float = 5.0
    # Demand waiting on an item counts up to this much. Past it the score hardly moves (ln), and
    # without it a change of demand walked every blocker upstream, which on a deep plan is most
    # of the graph (measured: 65,000 nodes for one cycle closing); capped, it stops where both
    # the old and the new value reach the cap, as forecasts stop where slack absorbs a move.
    demand_cap: float = 1000.0
    team_weight: float = 10.0
    band_edges: tuple[float, ...] = (25.0, 50.0, 100.0)
    chain_limit: int = 8


QUIET: Signature = (RiskLevel.ON_TRACK, 0, ())


# A reason not built yet: its code and blocker id (all a signature or an ordering reads), the
# function that builds it and that function's arguments, captured when the item was assessed.
PendingReason = tuple[str, str, Callable[..., RiskReason], tuple[Any, ...]]

_FIELDS = ("item_id", "level", "score", "band", "slip_days", "forecast", "target", "reasons")


class Assessment:
    """The engine's verdict on one item, with the chain of blockers that drives its forecast.

    A frozen value. Its reasons may be given built, or ``pending`` and built on first read:
    a full pass assesses tens of thousands of items at risk, and building their reasons'
    messages and evidence cost half of it while nothing reads most of them until they are
    stored, if ever (measured: 0.2 s of 0.6 s for 100,000 items). A pending reason is built
    by the same function with the arguments it would have had, so both give equal values.
    """

    __slots__ = (*_FIELDS[:-1], "chain", "signature", "_reasons", "_pending")

    item_id: str
    level: RiskLevel
    score: float
    band: int
    slip_days: int
    forecast: date | None
    target: date | None
    chain: tuple[str, ...]
    signature: Signature
    _reasons: tuple[RiskReason, ...] | None
    _pending: tuple[PendingReason, ...]

    def __init__(
        self,
        item_id: str,
        level: RiskLevel,
        score: float,
        band: int,
        slip_days: int,
        forecast: date | None,
        target: date | None,
        reasons: tuple[RiskReason, ...],
        chain: tuple[str, ...],
        signature: Signature = QUIET,
        *,
        pending: tuple[PendingReason, ...] = (),
    ) -> None:
        put = object.__setattr__
        put(self, "item_id", item_id)
        put(self, "level", level)
        put(self, "score", score)
        put(self, "band", band)
        put(self, "slip_days", slip_days)
        put(self, "forecast", forecast)
        put(self, "target", target)
        put(self, "chain", chain)
        put(self, "signature", signature)
        put(self, "_reasons", None if pending else reasons)
        put(self, "_pending", pending)

    @property
    def reasons(self) -> tuple[RiskReason, ...]:
        built = self._reasons
        if built is None:
            built = tuple([make(*args) for _, _, make, args in self._pending])
            object.__setattr__(self, "_reasons", built)
        return built

    @property
    def has_reasons(self) -> bool:
        """Whether there is any reason, without building them."""
        return bool(self._pending or self._reasons)

    def _values(self) -> tuple[Any, ...]:
        return (*(getattr(self, name) for name in _FIELDS), self.chain, self.signature)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Assessment):
            return NotImplemented
        return self is other or self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # reasons hold dicts, as before

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Assessment is frozen: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Assessment is frozen: cannot delete {name}")

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in (*_FIELDS, "chain", "signature"))
        return f"Assessment({shown})"


@dataclass(frozen=True, slots=True)
class AssessmentChange:
    """A notable change: ``before`` is None for a new item, ``after`` None for a removed one."""

    before: Assessment | None
    after: Assessment | None

    @property
    def item_id(self) -> str:
        present = self.after if self.after is not None else self.before
        assert present is not None, "a change has a before or an after"
        return present.item_id


def signature_of(assessment: Assessment | None) -> Signature:
    """A missing assessment reads as quiet, so new on-track items raise no notification."""
    return QUIET if assessment is None else assessment.signature
