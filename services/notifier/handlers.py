"""What each event the notifier takes means to the people it routes to: one table."""

from __future__ import annotations

from services.notifier.domain.change import Change
from services.notifier.domain.event_changes import (
    change_from_loop,
    change_from_release,
    change_from_risk,
    change_from_surge,
)
from shared.dispatch import Dispatch
from shared.events import DemandSurgedV1, LoopClosableV1, ReleaseRiskChangedV1, RiskChangedV1
from shared.events.streams import NotifierEvent

CHANGES_TO_NOTIFY: Dispatch[Change] = Dispatch(
    "changes to notify",
    NotifierEvent,
    {
        RiskChangedV1: change_from_risk,
        ReleaseRiskChangedV1: change_from_release,
        DemandSurgedV1: change_from_surge,
        LoopClosableV1: change_from_loop,
    },
)
