"""Faults under a steady load of signed webhooks: nothing accepted is lost, nothing told twice.

Each scenario runs its own stack (see ``tests.support.faults``) at 20 webhooks a second, does
its harm a third of the way in, and then waits for the pipeline to settle.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli.stack import SERVICES
from tests.support.faults import fault_run

pytestmark = pytest.mark.faults

COUNT = 150  # 7.5 s at 20/s: enough to straddle a restart


def assert_whole(counts: dict[str, int]) -> None:
    assert counts["accepted"] == counts["sent"]
    assert counts["lost"] == 0
    assert counts["unnotified"] == 0
    assert counts["doubled"] == 0


@pytest.mark.parametrize("victim", [*SERVICES, "nats-server"])
def test_a_child_killed_mid_load_comes_back_and_loses_nothing(victim: str, tmp_path: Path) -> None:
    with fault_run(tmp_path) as run:
        load = run.load(f"acme/{victim}", COUNT).start()
        load.wait_for_sent(COUNT // 3)
        run.kill(victim)
        load.wait()
        counts = run.verdict(load, f"kill -9 {victim}")
        assert run.supervisor.restarts[victim] == 1
    assert_whole(counts)


def test_the_database_stopped_for_20_seconds_mid_load_loses_nothing(tmp_path: Path) -> None:
    with fault_run(tmp_path) as run:
        load = run.load("acme/db", COUNT).start()
        load.wait_for_sent(COUNT // 3)
        run.pause("secantusd", 20)
        load.wait()
        counts = run.verdict(load, "SIGSTOP secantusd 20s")
    assert_whole(counts)
