"""The supervisor: restart delays quick at first, doubling in a crash loop, reset when stable."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.cli.supervisor import Backoff, Supervisor, write_restart_counts

pytestmark = pytest.mark.unit


def test_a_first_death_is_restarted_after_the_shortest_delay() -> None:
    assert Backoff(first=0.5).after(None, uptime=0.1) == 0.5


def test_a_crash_loop_doubles_the_delay_up_to_the_longest() -> None:
    backoff = Backoff(first=0.5, longest=30.0, stable=30.0)
    delays: list[float] = []
    previous = None
    for _ in range(9):
        previous = backoff.after(previous, uptime=1.0)
        delays.append(previous)
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_a_child_that_stayed_up_a_while_starts_over_at_the_shortest_delay() -> None:
    assert Backoff(first=0.5, stable=30.0).after(16.0, uptime=31.0) == 0.5


@dataclass
class Popen:
    returncode: int | None = None


@dataclass
class FakeChild:
    name: str = "ingest"
    log_path: Path = Path("logs/ingest.log")
    popen: Popen = field(default_factory=Popen)
    starts: int = 1

    def exited(self) -> bool:
        return self.popen.returncode is not None

    def restart(self) -> None:
        self.starts += 1
        self.popen = Popen()


def test_a_dead_child_is_named_counted_and_started_again_once_its_delay_has_passed() -> None:
    now = [0.0]
    child, said = FakeChild(), []
    supervisor = Supervisor([child], said.append, Backoff(first=0.5), clock=lambda: now[0])  # type: ignore[list-item]
    child.popen.returncode = -9
    supervisor.tick()
    now[0] = 0.4
    supervisor.tick()
    assert child.starts == 1
    now[0] = 0.5
    supervisor.tick()
    assert child.starts == 2
    assert said == ["ingest exited (code -9); see logs/ingest.log; restart 1 in 0.5s"]
    child.popen.returncode = 1
    supervisor.tick()
    assert said[-1].endswith("restart 2 in 1s")
    assert supervisor.restarts == {"ingest": 2}


def test_each_restart_is_counted_into_a_prometheus_textfile(tmp_path: Path) -> None:
    path = tmp_path / "metrics" / "supervisor.prom"
    child, other = FakeChild(), FakeChild(name="notifier")
    supervisor = Supervisor(
        [child, other],  # type: ignore[list-item]
        lambda line: None,
        Backoff(first=0.5),
        clock=lambda: 0.0,
        counted=lambda restarts: write_restart_counts(path, restarts),
    )
    child.popen.returncode = -9
    supervisor.tick()
    families = text_string_to_metric_families(path.read_text())
    samples = {
        s.labels["process"]: s.value
        for family in families
        for s in family.samples
        if s.name == "slipstream_restarts_total"
    }
    assert samples == {"ingest": 1.0, "notifier": 0.0}
