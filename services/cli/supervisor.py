"""Keeping the stack's children running: a child that dies is started again, with backoff.

A crash loop must not spin the machine, and a child that crashed once an hour ago should come
back quickly: the delay doubles from ``first`` up to ``longest`` on each consecutive death and
starts over once the child has stayed up for ``stable`` seconds.

Each restart is said (the terminal, the supervisor's log) and counted: ``slipstream up`` keeps
the counts as ``slipstream_restarts_total{process=...}`` in a Prometheus textfile in its data
directory (``metrics/supervisor.prom``), for node_exporter's textfile collector or a look.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, write_to_textfile

from services.cli.processes import ChildProcess


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5
    longest: float = 30.0
    stable: float = 30.0

    def after(self, previous: float | None, uptime: float) -> float:
        """The delay before the next start, given the last delay and how long the child ran."""
        if previous is None or uptime >= self.stable:
            return self.first
        return min(previous * 2, self.longest)


@dataclass
class _Watch:
    child: ChildProcess
    started_at: float
    delay: float | None = None
    due: float | None = None
    restarts: int = 0


@dataclass
class Supervisor:
    children: Sequence[ChildProcess]
    say: Callable[[str], None]
    backoff: Backoff = field(default_factory=Backoff)
    clock: Callable[[], float] = time.monotonic
    # Told the counts after every restart is scheduled (``slipstream up`` writes the textfile).
    counted: Callable[[dict[str, int]], None] = lambda restarts: None
    _watches: list[_Watch] = field(init=False)

    def __post_init__(self) -> None:
        self._watches = [_Watch(c, self.clock()) for c in self.children]

    @property
    def restarts(self) -> dict[str, int]:
        """Restarts so far, by child name."""
        return {w.child.name: w.restarts for w in self._watches}

    def tick(self) -> None:
        """Notice deaths and start whatever is due; call it every fraction of a second."""
        now = self.clock()
        for watch in self._watches:
            if watch.due is None and watch.child.exited():
                self._schedule(watch, now)
            elif watch.due is not None and now >= watch.due:
                watch.child.restart()
                watch.started_at, watch.due = now, None

    def _schedule(self, watch: _Watch, now: float) -> None:
        child = watch.child
        watch.delay = self.backoff.after(watch.delay, now - watch.started_at)
        watch.due = now + watch.delay
        watch.restarts += 1
        self.say(
            f"{child.name} exited (code {child.popen.returncode}); see {child.log_path}; "
            f"restart {watch.restarts} in {watch.delay:g}s"
        )
        self.counted(self.restarts)

    def run(self, stopping: threading.Event, every: float = 0.2) -> None:
        """Tick until ``stopping`` is set; on a thread, keep it alive as long as the stack.

        The kernel's die-with-parent signal follows the *thread* that started a child, so a
        child restarted from this thread is stopped when the thread ends.
        """
        while not stopping.wait(every):
            self.tick()


def write_restart_counts(path: Path, restarts: Mapping[str, int]) -> None:
    """The counts as a Prometheus textfile, replaced atomically so a scrape never sees half."""
    registry = CollectorRegistry()
    counter = Counter(
        "slipstream_restarts",
        "Times the supervisor restarted a process of the stack since it started",
        ["process"],
        registry=registry,
    )
    for process, count in restarts.items():
        counter.labels(process=process).inc(count)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
