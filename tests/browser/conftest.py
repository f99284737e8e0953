"""A real Chromium (Debian's, not Playwright's download) against a running stack.

Without ``/usr/bin/chromium`` these tests skip locally but fail under CI (``CI=true``), where
the README's test command installs it first: a missing browser must never pass silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.cli.demo import scenario
from services.cli.stack import ANY_FREE_PORTS, Stack, start_stack
from tests.e2e.test_demand import STANDARD_SECRET
from tests.support.ci import skip_locally

CHROMIUM = Path(os.environ.get("SLIPSTREAM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
GITHUB_SECRET = "browser-github-secret"
ARTIFACTS = Path(
    os.environ.get("SLIPSTREAM_ARTIFACTS", Path(__file__).parents[2] / "artifacts" / "browser")
)


# Module scope, not session: Playwright's sync API runs its own event loop in this thread
# while it is open, and the asyncio tests collected after this directory need the thread back.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        skip_locally(f"no browser at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots in {ARTIFACTS}")
    return ARTIFACTS


def sign_in(page: Any, stack: Stack, token: str | None = None) -> None:
    """Through the sign-in form, as a person would: the session cookie does the rest."""
    page.goto(f"{stack.urls['scheduler']}/signin")
    page.fill("#token", token or stack.admin_token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.urls['scheduler']}/")
    page.goto("about:blank")  # so a test's first view is a fresh load, not a hash change


def post(stack: Stack, event: str, body: dict[str, Any]) -> None:
    from services.cli.demo import GitHubDelivery

    raw, headers = GitHubDelivery(event, body).signed(GITHUB_SECRET)
    response = httpx.post(
        f"{stack.urls['ingest']}/webhooks/github", content=raw, headers=headers, timeout=10
    )
    assert response.status_code == 202, response.text


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URL")}
    env.update(
        {
            "INGEST_GITHUB_SECRET": GITHUB_SECRET,
            "INGEST_STANDARD_SECRET": STANDARD_SECRET,
            "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600",
        }
    )
    data_dir = tmp_path_factory.mktemp("dashboard-stack")
    running = start_stack(data_dir, env=env, ports=ANY_FREE_PORTS)
    try:
        for delivery in scenario(date.today()):
            post(running, delivery.event, delivery.body)
        yield running
    finally:
        running.stop()
