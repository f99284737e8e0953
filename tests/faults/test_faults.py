"""Faults under a steady load of signed webhooks: nothing accepted is lost, nothing told twice.

Each scenario runs its own stack (see ``tests.support.faults``) at 20 webhooks a second, does
its harm a third of the way in, and then waits for the pipeline to settle.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

import httpx
import pytest

from services.cli.stack import SERVICES
from tests.support.faults import SECRET, assert_whole, dead_letters, fault_run, publish_poison
from tests.support.load import item_id, overdue_issue, post_github
from tests.support.streams import wait_until

pytestmark = pytest.mark.faults

COUNT = 120  # 6 s at 20/s: enough to straddle a restart


@pytest.mark.parametrize("victim", [*SERVICES, "nats-server", "secantusd"])
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


def test_duplicates_reordering_and_a_poison_message_change_nothing_twice(tmp_path: Path) -> None:
    with fault_run(tmp_path) as run:
        ingest, scheduler = run.stack.urls["ingest"], run.stack.urls["scheduler"]
        load = run.load("acme/dupes", COUNT).start()
        load.wait_for_sent(COUNT // 3)
        publish_poison(run.stack.nats_url, POISON_SUBJECT, POISON)
        # A vendor's retry of what was already accepted (same id), and a second delivery of
        # the same change under a new id (a redelivery from the vendor's UI).
        for body, headers in list(load.signed.values())[:20]:
            assert post_github(ingest, body, headers) == 202
            assert post_github(ingest, body, {**headers, "x-github-delivery": str(uuid4())}) == 202
        newer_first = reordered_pairs("acme/reorder", 10)
        for body, headers in newer_first:
            assert post_github(ingest, body, headers) == 202
        load.wait()
        counts = run.verdict(load, "duplicates, reordering, poison")
        auth = run.stack.auth
        titles = [item_title(scheduler, item_id("acme/reorder", n), auth) for n in range(1, 11)]
        letters = wait_until(lambda: dead_letters(run.stack.nats_url, "scheduler-work") or None)
        told = [len(ids) for item, ids in run.notified().items() if "acme/reorder" in item]
    assert_whole(counts)
    assert titles == ["edited"] * 10
    assert told == [1] * 10
    assert [d["Slipstream-Original-Subject"] for d in letters] == [POISON_SUBJECT]
    assert letters[0]["Slipstream-Reason"]
    print(f"[poison] dead-lettered with reason: {letters[0]['Slipstream-Reason'][:200]}")


POISON_SUBJECT = "work.item.changed.v1"
POISON = b'{"event_id": "poison-1", "item_id": 42, "title": ["not", "a", "title"]}'


def reordered_pairs(repo: str, count: int) -> list[tuple[bytes, dict[str, str]]]:
    """Each issue's edit (a minute newer) sent before its opening, as a vendor may deliver them."""
    now = datetime.now(UTC).replace(microsecond=0)
    sent = []
    for n in range(1, count + 1):
        older = overdue_issue(repo, n, "opened", now - timedelta(minutes=1))
        newer = overdue_issue(repo, n, "edited", now)
        newer.body["action"] = "edited"
        sent += [newer.signed(SECRET), older.signed(SECRET)]
    return sent


def item_title(scheduler: str, item: str, auth: dict[str, str]) -> str | None:
    def found() -> str | None:
        url = f"{scheduler}/items/{quote(item, safe=':/')}"
        response = httpx.get(url, headers=auth, timeout=5)
        return response.json().get("title") if response.status_code == 200 else None

    return wait_until(found)
