"""Canonical event contracts: frozen, versioned, one class per subject."""

from shared.events.base import Event, Source, derive_event_id
from shared.events.feedback import (
    DemandChangedV1,
    DemandSurgedV1,
    FeedbackReceivedV1,
    LoopClosableV1,
    WaitingCustomer,
)
from shared.events.notify import NotificationFailedV1, NotificationSentV1
from shared.events.risk import (
    ReleaseRiskChangedV1,
    RiskChangedV1,
    RiskLevel,
    RiskReason,
    named,
)
from shared.events.work import (
    DependencyAddedV1,
    DependencyRemovedV1,
    EdgeOrigin,
    ItemChangedV1,
    ItemRemovedV1,
    ItemScheduleChangedV1,
    ItemStatus,
    ReleaseChangedV1,
    ReleaseState,
    ScheduleField,
)

ALL_EVENTS: tuple[type[Event], ...] = (
    ItemChangedV1,
    ItemRemovedV1,
    ItemScheduleChangedV1,
    DependencyAddedV1,
    DependencyRemovedV1,
    ReleaseChangedV1,
    FeedbackReceivedV1,
    DemandChangedV1,
    DemandSurgedV1,
    LoopClosableV1,
    RiskChangedV1,
    ReleaseRiskChangedV1,
    NotificationSentV1,
    NotificationFailedV1,
)

__all__ = [
    "ALL_EVENTS",
    "DemandChangedV1",
    "DemandSurgedV1",
    "DependencyAddedV1",
    "DependencyRemovedV1",
    "EdgeOrigin",
    "Event",
    "FeedbackReceivedV1",
    "ItemChangedV1",
    "ItemRemovedV1",
    "ItemScheduleChangedV1",
    "ItemStatus",
    "LoopClosableV1",
    "NotificationFailedV1",
    "NotificationSentV1",
    "ReleaseChangedV1",
    "ReleaseRiskChangedV1",
    "ReleaseState",
    "RiskChangedV1",
    "RiskLevel",
    "RiskReason",
    "ScheduleField",
    "Source",
    "WaitingCustomer",
    "derive_event_id",
    "named",
]
