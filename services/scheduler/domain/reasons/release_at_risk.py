"""``release_at_risk``: an item of an open release forecasts past the release's due date.

The read API's release view and the engine's flags both use ``outlook``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from services.scheduler.domain.dates import Values
from services.scheduler.domain.model import PendingReason
from shared.events import RiskReason

CODE = "release_at_risk"


def threatens(finish: Values, due: Values) -> Values:
    """Whether an item forecast to finish on ``finish`` makes the release late (``due`` is
    negative for a release without a due date, or one no longer open)."""
    return (due >= 0) & (finish > due)


def outlook(due: int, finish: Mapping[str, int]) -> tuple[int, tuple[str, ...]]:
    """The release's forecast (the latest of its items'; negative when none has one) and the
    ids of the items that threaten it, sorted."""
    latest = max(finish.values(), default=-1)
    return latest, tuple(sorted(i for i, f in finish.items() if threatens(f, due)))


@lru_cache(maxsize=1024)
def reason(rid: str, name: str, due: str) -> RiskReason:
    return RiskReason(
        code=CODE,
        message=f"release {name} has items forecast past its due date {due}",
        evidence={"release_id": rid, "release_name": name, "due": due},
    )


def pending(rid: str, name: str, due: str) -> PendingReason:
    """``reason`` as it will be built when read."""
    return (CODE, "", reason, (rid, name, due))
