"""The supervisor's restart delays: quick at first, doubling in a crash loop, reset when stable."""

from __future__ import annotations

import pytest

from services.cli.supervisor import Backoff

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
