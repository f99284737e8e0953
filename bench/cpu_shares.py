"""Each process's share of the CPU over a stretch of a benchmark, read from ``/proc``.

Latency that grows with the rate is queueing somewhere; on a machine whose cores are all busy
it is queueing for the CPU, and which process holds it says where to look first.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of ``pid`` so far; None where ``/proc`` cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command, which is in parentheses and may hold spaces.
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class CpuShares:
    """CPU used by named processes between ``start`` and ``shares``."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self.pids = dict(pids)
        self.began = time.monotonic()
        self.used: dict[str, float | None] = {}

    def start(self) -> None:
        self.began = time.monotonic()
        self.used = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def shares(self) -> dict[str, float]:
        """Percent of one core each used meanwhile (two busy cores make 200 in all)."""
        elapsed = max(time.monotonic() - self.began, 1e-9)
        found = {}
        for name, pid in self.pids.items():
            before, now = self.used.get(name), cpu_seconds(pid)
            if before is not None and now is not None:
                found[name] = 100 * (now - before) / elapsed
        return found


def shares_line(label: str, shares: Mapping[str, float]) -> str:
    if not shares:
        return f"{label}: no /proc here"
    ranked = sorted(shares.items(), key=lambda pair: -pair[1])
    parts = "  ".join(f"{name} {share:3.0f}%" for name, share in ranked)
    cores = os.cpu_count() or 1
    return f"{label}: {parts}  (all {sum(shares.values()):.0f}% of {100 * cores}%)"
