"""Whole stacks for end-to-end tests, started as ``slipstream up`` starts them.

The stack starts its own embedded NATS and database; ``NATS_URL`` / ``MONGODB_URL`` in this
process point the *tests'* shared servers elsewhere and must not leak into it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

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
