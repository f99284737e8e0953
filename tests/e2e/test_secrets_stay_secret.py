"""Every secret configured, a flow that notifies on every channel, then a search for each
secret in what operators and API callers see: service logs with console-exported spans,
error bodies, the people directory and the notification log."""

from __future__ import annotations

import base64
import secrets
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from services.cli.demo import scenario
from services.cli.stack import Stack
from services.cli.token_commands import registry
from tests.support.notifier_receivers import Mailbox, SlackStandIn, slack_stand_in
from tests.support.receivers import Sink, http_sink
from tests.support.stacks import running_stack
from tests.support.streams import wait_until

pytestmark = pytest.mark.e2e

SOURCES = ("github", "jira", "linear", "zendesk", "intercom", "canny")


def whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


SECRETS = {f"INGEST_{s.upper()}_SECRET": f"{s}-{secrets.token_hex(12)}" for s in SOURCES}
SECRETS |= {"INGEST_STANDARD_SECRET": whsec(), "NOTIFIER_WEBHOOK_SECRET": whsec()}
SMTP_PASSWORD = "smtp-" + secrets.token_hex(12)
PERSON_WEBHOOK_SECRET = whsec()
SLACK_PATH = "slack-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        auth_require_tls=False,  # loopback only; the point is that the password travels
        authenticator=lambda *_: AuthResult(success=True),
    )
    controller.start()
    box.url = f"smtp://alerts:{SMTP_PASSWORD}@127.0.0.1:{port}"
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def receivers(mailbox: Mailbox) -> Iterator[tuple[SlackStandIn, Sink, Mailbox]]:
    with slack_stand_in() as slack, http_sink() as sink:
        yield slack, sink, mailbox


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, receivers: tuple[SlackStandIn, Sink, Mailbox]
) -> Iterator[Stack]:
    _, sink, mailbox = receivers
    env = SECRETS | {
        "NOTIFIER_WEBHOOK_URL": f"{sink.url}/all",
        "NOTIFIER_SMTP_URL": mailbox.url,
        "NOTIFIER_POLL_SECONDS": "0.2",
        "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600",
        "SLIPSTREAM_CONSOLE_TRACES": "true",  # every span lands in the service's log
        "LOG_LEVEL": "DEBUG",
    }
    data_dir: Path = tmp_path_factory.mktemp("secrets-stack")
    with running_stack(data_dir, env) as running:
        yield running


def every_secret(stack: Stack, read_token: str) -> dict[str, str]:
    found = dict(SECRETS)
    found |= {"smtp password": SMTP_PASSWORD, "person webhook secret": PERSON_WEBHOOK_SECRET}
    found |= {"slack url": SLACK_PATH, "admin token": stack.admin_token, "read token": read_token}
    scheduler_token = (stack.data_dir / "secrets" / "scheduler-token").read_text().strip()
    return found | {"scheduler token": scheduler_token}


def test_no_secret_reaches_logs_spans_error_bodies_or_the_apis(
    stack: Stack, receivers: tuple[SlackStandIn, Sink, Mailbox]
) -> None:
    slack, sink, mailbox = receivers
    tokens = registry(stack.mongodb_url, "slipstream")
    read_token = tokens.create("secret-scan", "read", datetime.now(UTC))
    notifier, auth = stack.urls["notifier"], stack.auth
    channels = {
        "slack": {"webhook_url": f"{slack.url}/{SLACK_PATH}"},
        "email": {"address": "ada@example.com"},
        "webhook": {"url": f"{sink.url}/ada", "secret": PERSON_WEBHOOK_SECRET},
    }
    person = {"name": "Ada", "identities": ["github:octocat"], "channels": channels}
    seen: list[str] = []
    with httpx.Client(timeout=10) as client:
        assert client.put(f"{notifier}/people/ada", json=person, headers=auth).status_code == 201
        for channel in channels:
            body = {"person_id": "ada", "channel": channel, "digest_seconds": 0}
            created = client.post(f"{notifier}/subscriptions", json=body, headers=auth)
            assert created.status_code == 201, created.text
        github = SECRETS["INGEST_GITHUB_SECRET"]
        for delivery in scenario(date.today()):
            raw, headers = delivery.signed(github)
            response = client.post(f"{stack.urls['ingest']}/webhooks/github", content=raw,
                                   headers=headers)  # fmt: skip
            assert response.status_code == 202, response.text
        raw, headers = scenario(date.today())[0].signed("wrong-" + github)
        seen.append(client.post(f"{stack.urls['ingest']}/webhooks/github", content=raw,
                                headers=headers).text)  # fmt: skip
        for bad in ({"Authorization": f"Bearer {github}"}, {"Authorization": "Bearer x"}):
            seen.append(client.get(f"{stack.urls['scheduler']}/risk", headers=bad).text)

        wait_until(lambda: slack.accepted or None, 60)
        wait_until(lambda: mailbox.messages or None, 60)
        wait_until(lambda: [r for r in sink.snapshot() if r.path == "/ada"] or None, 60)

        listed = client.get(f"{notifier}/people", headers=auth)
        seen.append(listed.text)
        seen.append(client.get(f"{notifier}/people/ada", headers=auth).text)
        log = client.get(f"{notifier}/notifications", headers=auth).json()
        seen.append(str(log))
        for entry in log:
            one = client.get(f"{notifier}/notifications/{entry['id']}", headers=auth)
            seen.append(one.text)
    assert listed.json()[0]["channels"]["slack"]["webhook_url"].endswith("…")
    stack.stop()  # flush: every span and line is written before the logs are read
    logs = {p.name: p.read_text(errors="replace") for p in (stack.data_dir / "logs").glob("*")}
    assert any('"name": "POST /webhooks/' in text for text in logs.values()), "spans exported"
    leaks: list[tuple[str, str]] = []
    for what, secret in every_secret(stack, read_token).items():
        leaks += [(what, name) for name, text in logs.items() if secret in text]
        leaks += [(what, "api") for text in seen if secret in text]
    assert leaks == [], leaks
