"""`slipstream up` brings back what dies: a service on its URL, nats-server on its port."""

from __future__ import annotations

import os
import signal
from datetime import date
from pathlib import Path

import httpx
import pytest

from services.cli.demo import scenario
from services.cli.stack import ANY_FREE_PORTS, SERVICES
from tests.e2e.test_cli_up import (
    SECRET,
    printed_urls,
    processes_using,
    start_up,
    up_env,
    wait_for_banner,
)
from tests.support.faults import Lines, child_pid
from tests.support.load import post_github
from tests.support.streams import wait_until

pytestmark = pytest.mark.faults


def ready(url: str) -> bool | None:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200 or None
    except httpx.HTTPError:
        return None


def test_up_restarts_a_killed_service_and_nats_and_the_pipeline_recovers(tmp_path: Path) -> None:
    up = start_up(tmp_path, up_env(ANY_FREE_PORTS))
    try:
        urls = printed_urls(wait_for_banner(up))
        token = (tmp_path / "secrets" / "admin-token").read_text().strip()
        auth = {"Authorization": f"Bearer {token}"}
        assert up.stdout is not None
        said = Lines().follow(up.stdout)

        os.kill(child_pid(up.pid, "services.ingest"), signal.SIGKILL)
        line = wait_until(lambda: said.having("ingest exited (code -9)", "restart 1 in"))
        assert "ingest.log" in line
        assert wait_until(lambda: ready(urls["ingest"]), timeout=60)

        os.kill(child_pid(up.pid, "nats-server"), signal.SIGKILL)
        wait_until(lambda: said.having("nats-server exited (code -9)", "restart 1 in"))
        body, headers = scenario(date.today())[0].signed(SECRET)
        # As a vendor does: the same delivery again until it is accepted.
        wait_until(lambda: post_github(urls["ingest"], body, headers) == 202 or None, timeout=60)

        def projected() -> bool | None:
            rows = httpx.get(f"{urls['scheduler']}/risk", headers=auth, timeout=5).json()
            return any(r["item_id"] == "github:acme/web#7" for r in rows) or None

        assert wait_until(projected, timeout=60)
        assert all(wait_until(lambda u=urls[n]: ready(u), timeout=60) for n in SERVICES)
    finally:
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 0
    assert processes_using(tmp_path) == []
