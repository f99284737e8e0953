"""How an item at risk ranks: its score, and the coarse band a change must cross to be news.

score = level base (``at_risk_base``, ``off_track_base``)
  + ``slip_weight`` x slip days (capped at ``slip_cap_days``)
  + ``demand_weight`` x ln(1 + demand waiting on the item and its heaviest dependant chain,
    at most ``demand_cap``)
  + ``team_weight`` if a blocker named in a reason belongs to another team;
rounded to 2 places. band = 0 on track, else 1 + the number of ``band_edges`` the score
reaches (1..4 by default). An on-track item scores 0, so demand moves only the score of an
item with reasons (``demand_counts``).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

import numpy as np

from services.scheduler.domain.dates import Values, earliest, latest, pick
from services.scheduler.domain.model import Assessment, RiskPolicy


def demand_terms(waiting: Iterable[float]) -> list[float]:
    """ln(1 + demand) for each item; math.log1p, as numpy's may differ in the last bit."""
    return [math.log1p(w if w > 0.0 else 0.0) for w in waiting]


def demand_counts(assessment: Assessment | None) -> bool:
    """Whether the demand waiting on an item is part of its assessment: only an item with
    reasons is scored; an on-track one scores 0 whatever waits on it. So a change of demand
    alone need not re-assess an on-track item (any other change re-assesses it anyway)."""
    return assessment is not None and assessment.has_reasons


def other_team(team: str | None, theirs: str | None) -> bool:
    """Whether a blamed blocker of ``team``'s item belongs to another team."""
    return theirs is not None and team not in (None, theirs)


def raw_score(
    off_track: Any, slip: Values, demand: Values, crosses: Any, policy: RiskPolicy
) -> Values:
    """The score before rounding, for one item or many (``demand`` from ``demand_term``)."""
    base = pick(off_track, policy.off_track_base, policy.at_risk_base)
    slipped = earliest(latest(slip, 0), policy.slip_cap_days) * policy.slip_weight
    team = pick(crosses, policy.team_weight, 0.0)
    return base + slipped + policy.demand_weight * demand + team


def rounded(raw: Iterable[float]) -> list[float]:
    """The scores as published (Python's correctly rounded ``round``, for numpy's is not)."""
    return [round(r, 2) for r in raw]


def band_of(score: Values, policy: RiskPolicy) -> Values:
    """The band of an item at risk with this (rounded) score, or of each of many."""
    if isinstance(score, np.ndarray):
        return 1 + np.searchsorted(policy.band_edges, score, side="right")
    return 1 + bisect_right(policy.band_edges, score)
