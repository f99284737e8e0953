"""Across ingest, scheduler and notifier to a Slack stand-in: the message about a slipping item
links each member of its critical chain to that member's page on the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from services.cli.demo import scenario
from services.cli.stack import Stack
from tests.e2e.test_pipeline import GITHUB_SECRET
from tests.support.notifier_receivers import SlackStandIn, slack_stand_in
from tests.support.stacks import post_github, running_stack
from tests.support.streams import wait_until

pytestmark = pytest.mark.e2e

CHECKOUT, LEDGER = "github:acme/web#7", "github:acme/api#42"


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackStandIn]:
    with slack_stand_in() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {"INGEST_GITHUB_SECRET": GITHUB_SECRET, "NOTIFIER_POLL_SECONDS": "0.2"}
    data_dir: Path = tmp_path_factory.mktemp("slack-chain-stack")
    with running_stack(data_dir, env) as running:
        yield running


def section_about(slack: SlackStandIn, title: str) -> str | None:
    for message in slack.accepted:
        for block in message["blocks"]:
            text: Any = block.get("text", {}).get("text", "")
            if block["type"] == "section" and title in text and "Critical chain" in text:
                return str(text)
    return None


def test_each_chain_member_in_slack_links_to_its_own_explanation(
    stack: Stack, slack: SlackStandIn
) -> None:
    notifier, auth = stack.urls["notifier"], stack.auth
    person = {
        "name": "Mara",
        "identities": ["github:mara"],
        "channels": {"slack": {"webhook_url": f"{slack.url}/mara"}},
    }
    with httpx.Client(timeout=10, headers=auth) as client:
        assert client.put(f"{notifier}/people/mara", json=person).status_code == 201
        body = {"person_id": "mara", "channel": "slack", "digest_seconds": 0}
        assert client.post(f"{notifier}/subscriptions", json=body).status_code == 201
        post_github(stack, scenario(date.today()), GITHUB_SECRET)

        section = wait_until(lambda: section_about(slack, "Checkout redesign"), 60)
        assert slack.rejected == []

        # The dashboard `slipstream up` prints, as the notifier was told of it.
        dashboard = stack.urls["scheduler"] + "/"
        pages = {i: f"{dashboard}#/item/{quote(i, safe='')}" for i in (CHECKOUT, LEDGER)}
        assert (
            f"*Critical chain:* <{pages[CHECKOUT]}|Checkout redesign ({CHECKOUT})> → "
            f"<{pages[LEDGER]}|Ledger migration ({LEDGER})>"
        ) in section
        # What the blocker's page explains is there to read: its own dates and level.
        ledger = client.get(f"{stack.urls['scheduler']}/items/{quote(LEDGER, safe='')}")
        assert ledger.status_code == 200, ledger.text
        assert ledger.json()["item_id"] == LEDGER
