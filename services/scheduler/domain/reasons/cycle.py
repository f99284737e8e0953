"""``cycle``: every member of a dependency cycle, naming all. Edges inside a cycle are ignored
for dates, demand and blocker reasons, so every pass terminates; the cycle is the reason."""

from __future__ import annotations

from functools import lru_cache

from services.scheduler.domain.model import PendingReason
from shared.events import RiskReason

CODE = "cycle"


# Cached: every member of a cycle shares one identical reason object.
@lru_cache(maxsize=1024)
def reason(names: tuple[str, ...]) -> RiskReason:
    return RiskReason(
        code=CODE,
        message=f"part of a dependency cycle of {len(names)} items",
        evidence={"members": ",".join(names), "size": str(len(names))},
    )


def pending(names: tuple[str, ...]) -> PendingReason:
    """``reason`` as it will be built when read."""
    return (CODE, "", reason, (names,))
