"""Every broker is built by ``shared.broker.create_broker``, which carries its workarounds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
FACTORY = ROOT / "shared" / "broker.py"
# ``TestNatsBroker(broker)`` wraps a broker; it does not build one.
CONSTRUCTION = re.compile(r"(?<![\w.])NatsBroker\(")


def test_nothing_but_the_factory_constructs_a_nats_broker() -> None:
    constructing = [
        str(path.relative_to(ROOT))
        for folder in ("shared", "services", "tests", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if path != FACTORY and path != Path(__file__) and CONSTRUCTION.search(path.read_text())
    ]
    assert constructing == [], "build brokers with shared.broker.create_broker"
