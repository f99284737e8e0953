"""``cycle``: every member of a dependency cycle, naming all. Edges inside a cycle are ignored
for dates, demand and blocker reasons, so every pass terminates; the cycle is the reason."""

from __future__ import annotations

from functools import lru_cache

from shared.events import RiskReason


# Cached: every member of a cycle shares one identical reason object.
@lru_cache(maxsize=1024)
def reason(names: tuple[str, ...]) -> RiskReason:
    return RiskReason(
        code="cycle",
        message=f"part of a dependency cycle of {len(names)} items",
        evidence={"members": ",".join(names), "size": str(len(names))},
    )
