"""Value objects of the risk engine: what goes in (items, releases, policy) and what comes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

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
    team_weight: float = 10.0
    band_edges: tuple[float, ...] = (25.0, 50.0, 100.0)
    chain_limit: int = 8


QUIET: Signature = (RiskLevel.ON_TRACK, 0, ())


@dataclass(frozen=True, slots=True)
class Assessment:
    """The engine's verdict on one item, with the chain of blockers that drives its forecast."""

    item_id: str
    level: RiskLevel
    score: float
    band: int
    slip_days: int
    forecast: date | None
    target: date | None
    reasons: tuple[RiskReason, ...]
    chain: tuple[str, ...]
    signature: Signature = field(default=QUIET, compare=True)


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
