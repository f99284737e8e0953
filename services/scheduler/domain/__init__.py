"""The scheduler's risk engine: pure, synchronous, clock-free.

Where each rule lives (one home each; a rule over ints is the same function over numpy
arrays, see ``dates``, so the incremental path, the full pass and the read API share it):

- ``forecast``: finish = max(target, latest blocker forecast + planned duration), where
  duration = target - start when both are set (``items``); a done item finishes on
  ``done_on``; ``slip`` = forecast - target in days; demand waiting on an item = its own
  weight + the heaviest chain of dependants behind it, a cycle counting as one unit (its
  members' summed weight, the heaviest chain behind any member), at most ``demand_cap``, so
  a change of demand stops where old and new both reach it. Forecasts never depend on
  ``today``.
- ``reasons/``: one module per reason (``blocker_late``, ``overdue``, ``blocker_stale``,
  ``blocker_undated``, ``cycle``, ``release_at_risk``), each a threshold rule and its evidence;
  ``blocker_reasons`` and ``item_reasons`` apply them to one edge or one item, ``window``
  keeps the days an assessment holds for.
- ``level``: off track (overdue itself, or slipping ``off_track_slip_days``) or at risk.
- ``score``: ranking score and band; ``verdict`` builds one item's assessment from the above.
- ``explanation``: the whole critical chain (the engine's and the read API's).

Machinery: ``engine`` (the shared per-node state), ``graph``, ``order`` and ``components``
(dependency graph, topological ranks, cycles; edges inside a cycle are ignored for dates
and blocker reasons, and demand treats the cycle as one unit), ``releases``,
``propagation`` (incremental walks and the full pass, which uses ``snapshot`` and
``whole_graph`` for numpy), ``risk_windows`` and ``flagged`` (the full pass's screen and
assessments), ``wide_items`` (the blocker screens of items with many blockers, kept between
passes so a change re-screens only the blockers that changed), ``rechecks`` (when windows run
out), ``portfolio`` and ``queries`` (the public
face), ``model`` (values).

An edge change keeps the topological order locally, treating cycles (strong components) as
units (``graph``): an added edge that contradicts it reorders only the components between its
ends, merging those it closes a cycle through (``order``); a removed edge inside a cycle
re-splits only that cycle (``components``). No edge change re-orders the whole graph.

Change detection compares (level, band, reason codes with blocker ids) only; a missing
assessment counts as quiet, so new on-track items are not news. Item, demand and release
changes walk only the changed nodes' downstream (forecasts) or upstream (demand) closure, and
a change of demand alone re-assesses only items it scores (``score.demand_counts``).
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
