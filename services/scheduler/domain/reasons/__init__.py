"""The reasons an open item is at risk: one module per reason, each with its rule and evidence.

- ``blocker_late``: a blocker alone pushes the forecast past the target (or planned start);
- ``overdue``: ``item_overdue`` and ``blocker_overdue``, open past the target;
- ``blocker_stale``: no update for ``stale_after_days`` while the item's target is near;
- ``blocker_undated``: open with neither target nor forecast, or not known yet;
- ``cycle``: every member of a dependency cycle, naming all;
- ``release_at_risk``: an item of the release forecasts past its due date.

Time enters only through ``today``, and every rule that reads it is a threshold "today >= t"
(a function here returns ``t``), so each assessment also knows the window of days in which
none of its thresholds is crossed. Evidence quotes dates, never "N days ago" counts that would
change daily. Each module's ``pending`` names a reason (code, blocker id, how to build it) and
its ``reason`` builds it, when the assessment's reasons are first read. Each rule is written
over values that are ints or numpy arrays alike (``dates``): the incremental path, the full
pass and the screens all call the same function.
"""

from __future__ import annotations

from services.scheduler.domain.model import PendingReason

# How reasons are listed in an assessment, most telling first.
ORDER = {
    code: rank
    for rank, code in enumerate(
        (
            "item_overdue",
            "blocker_late",
            "blocker_overdue",
            "blocker_stale",
            "blocker_undated",
            "cycle",
            "release_at_risk",
        )
    )
}


def reason_order(reason: PendingReason) -> tuple[int, str]:
    """Where a reason (built or not: its code and blocker id) is listed."""
    return ORDER.get(reason[0], 99), reason[1]
