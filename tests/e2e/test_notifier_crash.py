"""The notifier killed (SIGKILL) after recording a message and before sending it: a restarted
notifier sends it, and the receiver sees it exactly once.

``NOTIFIER_TEST_HOLD_AFTER_RECORD_SECONDS`` (test-only) holds the first notifier between
recording and sending long enough to kill it there; the replacement runs without it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import nats
import pytest

from services.cli.processes import ChildProcess
from services.cli.stack import ANY_FREE_PORTS, Stack, service_env, start_stack, wait_ready
from shared.events import RiskChangedV1, RiskLevel, Source
from tests.support.receivers import Sink, http_sink
from tests.support.stacks import own_servers_env
from tests.support.streams import wait_until

pytestmark = pytest.mark.e2e

SECRET = "whsec_Y3Jhc2gtdGVzdC1zZWNyZXQ="
HOLD = "NOTIFIER_TEST_HOLD_AFTER_RECORD_SECONDS"


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    with http_sink() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    return own_servers_env({"NOTIFIER_POLL_SECONDS": "0.2", HOLD: "600"})


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("crash-stack")
    running = start_stack(data_dir, env=env, ports=ANY_FREE_PORTS)
    try:
        yield running
    finally:
        running.stop()


def publish(nats_url: str, event: RiskChangedV1) -> None:
    async def send() -> None:
        client = await nats.connect(nats_url)
        try:
            await client.jetstream().publish(
                event.subject, event.model_dump_json().encode(),
                headers={"Nats-Msg-Id": event.event_id},
            )  # fmt: skip
        finally:
            await client.close()

    asyncio.run(send())


def restart_notifier(stack: Stack, env: dict[str, str]) -> None:
    old = next(c for c in stack.children if c.name == "notifier" and not c.exited())
    old.popen.kill()  # SIGKILL: no shutdown hook runs
    old.popen.wait()
    ports = {name: int(url.rsplit(":", 1)[1]) for name, url in stack.urls.items()}
    unheld = service_env({k: v for k, v in env.items() if k != HOLD}, stack, ports, "127.0.0.1")
    log = stack.data_dir / "logs" / "notifier-restarted.log"
    command = [sys.executable, "-m", "services.notifier"]
    child = ChildProcess.start("notifier", command, log, unheld)
    stack.children.append(child)
    wait_ready(stack.urls["notifier"], child, timeout=60)


def test_a_message_recorded_before_a_crash_is_sent_once_after_restart(
    stack: Stack, sink: Sink, env: dict[str, str]
) -> None:
    notifier = stack.urls["notifier"]
    with httpx.Client(timeout=10, headers=stack.auth) as client:
        channels = {"webhook": {"url": f"{sink.url}/ada", "secret": SECRET}}
        body = {"name": "Ada", "identities": ["github:ada"], "channels": channels}
        assert client.put(f"{notifier}/people/ada", json=body).status_code == 201
        subscription = {"person_id": "ada", "channel": "webhook", "digest_seconds": 0,
                        "filter": {"owner": "github:ada"}}  # fmt: skip
        assert client.post(f"{notifier}/subscriptions", json=subscription).status_code == 201
        change = RiskChangedV1(
            event_id="crash-risk-1", occurred_at=datetime.now(UTC), source=Source.SLIPSTREAM,
            item_id="github:acme/web#5", level=RiskLevel.OFF_TRACK,
            previous_level=RiskLevel.ON_TRACK, owner="ada", title="Checkout",
        )  # fmt: skip
        publish(stack.nats_url, change)

        def recorded() -> list[dict[str, object]] | None:
            rows = client.get(f"{notifier}/notifications", params={"person": "ada"}).json()
            return rows or None

        rows = wait_until(recorded, 60)
        assert [r["status"] for r in rows] == ["pending"]
        assert sink.snapshot() == []
        restart_notifier(stack, env)

        sent = wait_until(
            lambda: [r for r in recorded() or [] if r["status"] == "sent"] or None, 60
        )
        time.sleep(2)  # a second send would have happened by now
    received = sink.snapshot()
    assert len(received) == 1
    assert received[0].headers["webhook-id"] == sent[0]["id"] == rows[0]["id"]
