"""What each consumer can receive, as a union of contracts.

These unions are the types subscribers declare (so FastStream validates against them and the
AsyncAPI document names each payload) and the unions each dispatch table must cover.
``tests/unit/test_dispatch.py`` checks that every contract published on a consumer's subjects is
in its union, so a new event class cannot arrive unhandled.
"""

from __future__ import annotations

from typing import TypeAlias

from shared.events.feedback import (
    DemandChangedV1,
    DemandSurgedV1,
    FeedbackReceivedV1,
    LoopClosableV1,
)
from shared.events.risk import ReleaseRiskChangedV1, RiskChangedV1
from shared.events.work import (
    DependencyAddedV1,
    DependencyRemovedV1,
    ItemChangedV1,
    ItemRemovedV1,
    ItemScheduleChangedV1,
    ReleaseChangedV1,
)

WorkEvent: TypeAlias = (
    ItemChangedV1
    | ItemRemovedV1
    | ItemScheduleChangedV1
    | DependencyAddedV1
    | DependencyRemovedV1
    | ReleaseChangedV1
)
"""Everything on ``work.>``: the scheduler's work consumer."""

SchedulerEvent: TypeAlias = WorkEvent | DemandChangedV1
"""What the scheduler projects: work, and the demand the feedback service derives."""

FeedbackEvent: TypeAlias = FeedbackReceivedV1
RiskEvent: TypeAlias = RiskChangedV1

NotifierEvent: TypeAlias = RiskChangedV1 | ReleaseRiskChangedV1 | DemandSurgedV1 | LoopClosableV1
"""What the notifier tells people about, over its four consumers (one per subject)."""
