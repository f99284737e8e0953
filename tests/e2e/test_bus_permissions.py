"""The deployment's NATS users (deploy/nats/users.conf) run the whole flow, each service as
its own user, and refuse a service a subject that is not its own."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import nats
import pytest
from nats.errors import Error as NatsError

from services.cli.demo import scenario
from services.cli.embedded import find_binary, free_port, wait_for_port
from services.cli.processes import ChildProcess
from services.cli.stack import ANY_FREE_PORTS, Stack, start_stack
from shared.subjects import BUS_USERS
from tests.support.receivers import Sink, http_sink
from tests.support.streams import wait_until

pytestmark = pytest.mark.e2e

USERS_CONF = Path(__file__).resolve().parents[2] / "deploy" / "nats" / "users.conf"
GITHUB_SECRET = "e2e-permissions-github"
PASSWORDS = {user.service: secrets.token_hex(12) for user in BUS_USERS}


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    here = tmp_path_factory.mktemp("nats-auth")
    (here / "users.conf").write_text(USERS_CONF.read_text())
    port = free_port()
    (here / "nats.conf").write_text(
        f'listen: "127.0.0.1:{port}"\n'
        f'jetstream {{ store_dir: "{here / "js"}"\n sync_interval: always }}\n'
        "include users.conf\n"
    )
    env = {f"NATS_{name.upper()}_PASSWORD": pw for name, pw in PASSWORDS.items()}
    env["NATS_ADMIN_PASSWORD"] = secrets.token_hex(12)
    command = [find_binary("nats-server"), "-c", str(here / "nats.conf")]
    child = ChildProcess.start("nats-server", command, here / "nats.log", {**os.environ, **env})
    try:
        wait_for_port("127.0.0.1", port, 20, child)
        yield f"nats://127.0.0.1:{port}"
    finally:
        child.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Sink]:
    with http_sink() as sink:
        yield sink


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, nats_url: str, receiver: Sink
) -> Iterator[Stack]:
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URL"}
    env.update(
        {
            "NATS_URL": nats_url,
            "INGEST_GITHUB_SECRET": GITHUB_SECRET,
            "NOTIFIER_WEBHOOK_URL": f"{receiver.url}/hooks/risk",
            "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600",
        }
    )
    for name, password in PASSWORDS.items():
        env[f"{name.upper()}_NATS_USER"] = name
        env[f"{name.upper()}_NATS_PASSWORD"] = password
    data_dir = tmp_path_factory.mktemp("permissions-stack")
    running = start_stack(data_dir, env=env, ports=ANY_FREE_PORTS)
    try:
        yield running
    finally:
        running.stop()


def test_each_service_as_its_own_user_carries_a_webhook_to_the_notification(
    stack: Stack, receiver: Sink
) -> None:
    for delivery in scenario(date.today()):
        body, headers = delivery.signed(GITHUB_SECRET)
        url = f"{stack.urls['ingest']}/webhooks/github"
        assert httpx.post(url, content=body, headers=headers).status_code == 202

    def notified() -> bool | None:
        items = {json.loads(r.body)["data"]["item_id"] for r in receiver.snapshot()}
        return "github:acme/web#7" in items or None

    assert wait_until(notified)
    for url in stack.urls.values():
        assert httpx.get(f"{url}/readyz").status_code == 200


async def test_a_service_cannot_publish_another_services_subject(
    stack: Stack, nats_url: str
) -> None:
    client = await nats.connect(nats_url, user="scheduler", password=PASSWORDS["scheduler"])
    try:
        js = client.jetstream()
        # Its own subject space, where no consumer will take this for a contract.
        assert (await js.publish("risk.permissions.checked.v1", b"{}", timeout=2)).stream == "RISK"
        with pytest.raises((NatsError, TimeoutError)):
            await js.publish("work.item.changed.v1", b"{}", timeout=1)
    finally:
        await client.close()
