"""The scheduler's risk engine: pure, synchronous, clock-free (DESIGN.md "Risk model").

Forecasts: an open item finishes at max(its target, latest blocker forecast + its planned
duration), duration = target - start when both are set (start is a planned start), else 0; a
done item finishes on ``done_on``; slip = forecast - target in days (0 without a target).
Forecasts never depend on ``today``: lateness against the calendar is reported as reasons.

Reasons (``rules``), each with evidence that quotes dates: ``blocker_late`` (the blocker alone
pushes the forecast past the target, or past the planned start when there is no target),
``blocker_overdue``, ``blocker_stale`` (no update for ``stale_after_days`` while the item's
target is within ``near_target_days``), ``blocker_undated`` (open with neither target nor
forecast, or not known yet), ``cycle`` (every member, naming all), ``release_at_risk`` (an
item of the release forecasts past its due date), ``item_overdue``. Done items have none.

Cycles: edges inside a cycle are ignored for dates, demand and blocker reasons, so forecasts
are deterministic and every pass terminates; the cycle itself is the reason.

Level, score, band: see ``verdict``. Demand waiting on an item = its own weight + the heaviest
chain of dependants behind it (``forecast.waiting_on``). Change detection compares (level,
band, reason codes with blocker ids) only; a missing assessment counts as quiet, so new
on-track items are not news.

Incremental cost: item, demand and release changes walk only the changed nodes' downstream
(forecasts) or upstream (demand) closure, and cross an edge only where the change can matter.
An edge change keeps the topological order locally, treating cycles (strong components) as
units (``graph``): an added edge that contradicts it reorders only the components between its
ends, merging those it closes a cycle through (``order``); a removed edge inside a cycle
re-splits only that cycle (``components``). No edge change re-orders the whole graph.

Full-pass cost: ``recompute_all`` copies the per-node lists and active edges into numpy arrays
(``arrays``), relaxes forecasts edge-parallel (``bulk``), finds every time window and every item
with a reason in bulk (``triage``, which also says which edge gives which reason) and builds
assessments only for those items, in one loop over numbers computed in bulk (``loud``); quiet
ones are built on first access. Demand stays one Python sweep. The graph's maintained ranks
are reused (checked in bulk to still order every active edge).

Removing an item drops its edges; ids are never forgotten within a portfolio's lifetime.
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
