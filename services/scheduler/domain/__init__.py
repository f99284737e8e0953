"""The scheduler's risk engine: pure, synchronous, clock-free.

Risk model (DESIGN.md "Risk model"):
- forecast finish of an open item = max(its target, latest blocker forecast + its planned
  duration), duration = target - start when both are set (start is a planned start), else 0;
  a done item finishes on ``done_on``; slip = forecast - target in days. Forecasts never depend
  on ``today``: lateness against the calendar is reported as reasons instead.
- reasons: ``blocker_late``, ``blocker_overdue``, ``blocker_stale``, ``blocker_undated``,
  ``cycle``, ``release_at_risk``, ``item_overdue`` (see ``rules``), each with evidence.
- cycles: every member gets a ``cycle`` reason naming all members; edges inside a cycle are
  ignored for dates, demand and blocker reasons, so forecasting is deterministic and terminates.
- level, score and band: see ``verdict``. Change detection compares (level, band, reason codes
  with blocker ids) only; a missing assessment counts as on track with no reasons.
- demand waiting on an item = its own weight + the heaviest chain of dependants behind it.
"""

from services.scheduler.domain.model import (
    Assessment,
    AssessmentChange,
    Item,
    Release,
    RiskPolicy,
    Signature,
)
from services.scheduler.domain.portfolio import Portfolio

__all__ = [
    "Assessment",
    "AssessmentChange",
    "Item",
    "Portfolio",
    "Release",
    "RiskPolicy",
    "Signature",
]
