"""Whole stacks for end-to-end tests, started as ``slipstream up`` starts them.

The stack starts its own embedded NATS and database; ``NATS_URL`` / ``MONGODB_URL`` in this
process point the *tests'* shared servers elsewhere and must not leak into it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from services.cli.demo import GitHubDelivery
from services.cli.stack import ANY_FREE_PORTS, Stack, start_stack


def own_servers_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment plus ``settings``, without the tests' server addresses."""
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URL")}
    return env | dict(settings)


@contextmanager
def running_stack(data_dir: Path, settings: Mapping[str, str]) -> Iterator[Stack]:
    """A stack on free ports with ``settings``, stopped however the test ends."""
    running = start_stack(data_dir, env=own_servers_env(settings), ports=ANY_FREE_PORTS)
    try:
        yield running
    finally:
        running.stop()


def post_github(
    stack: Stack,
    deliveries: Iterable[GitHubDelivery],
    secret: str,
    traceparent: str | None = None,
) -> None:
    """Each delivery signed with ``secret`` to the stack's ingest, in order; each must be
    accepted (202), or the test fails with ingest's answer."""
    with httpx.Client(timeout=10) as client:
        for delivery in deliveries:
            body, headers = delivery.signed(secret)
            if traceparent is not None:
                headers["traceparent"] = traceparent
            response = client.post(
                f"{stack.urls['ingest']}/webhooks/github", content=body, headers=headers
            )
            assert response.status_code == 202, response.text
