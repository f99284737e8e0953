"""``slipstream``: run the stack, feed it a demo, read its risk table."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import httpx
import typer

from services.cli import (
    api,
    deadletter_commands,
    docs,
    feedback_commands,
    ingest_commands,
    notifier_commands,
    rebuild_commands,
    report_command,
    scheduler_commands,
    token_commands,
)
from services.cli.data_lock import DataDirUnusable
from services.cli.demo import GitHubDelivery, risk_table, scenario
from services.cli.demo_feedback import ASKING, BLOCKED_ITEM, feedback_scenario
from services.cli.demo_inbox import DemoInbox, demo_secret
from services.cli.stack import (
    DEFAULT_PORTS,
    PortInUse,
    Stack,
    dev_secret,
    standard_dev_secret,
    start_stack,
)
from services.cli.supervisor import Supervisor, write_restart_counts
from services.cli.token_commands import DEFAULT_DATA_DIR, DataDir

app = typer.Typer(help="Slipstream: webhooks in, dependency risk out.", no_args_is_help=True)
RESTART_COUNTS = Path("metrics/supervisor.prom")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _supervise(stack: Stack) -> None:
    """Block until Ctrl-C or SIGTERM, restarting any child that dies (with backoff)."""
    # Explicit for SIGINT too: a job started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    counts = stack.data_dir / RESTART_COUNTS

    def counted(restarts: dict[str, int]) -> None:
        write_restart_counts(counts, restarts)

    supervisor = Supervisor(
        stack.children, lambda line: typer.echo(line, err=True), counted=counted
    )
    counted(supervisor.restarts)  # zeros at start: a scrape tells "none yet" from "not running"
    while True:
        supervisor.tick()
        time.sleep(0.2)


@app.command()
def up(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    demo: Annotated[bool, typer.Option(help="Send the demo scenario once running.")] = False,
) -> None:
    """Start NATS and MongoDB (embedded unless NATS_URL / MONGODB_URL are set) and the services."""
    ports = {
        name: int(os.environ.get(f"{name.upper()}_PORT", port))
        for name, port in DEFAULT_PORTS.items()
    }
    with contextlib.ExitStack() as resources:
        env = dict(os.environ)
        inbox = None
        if demo and not env.get("NOTIFIER_WEBHOOK_URL"):
            # Nowhere to tell the owner yet: the demo brings a receiver of its own.
            inbox = resources.enter_context(DemoInbox(demo_secret(), typer.echo))
            env.update(NOTIFIER_WEBHOOK_URL=inbox.url, NOTIFIER_WEBHOOK_SECRET=inbox.secret)
        try:
            stack = start_stack(data_dir, ports=ports, env=env)
        except (PortInUse, DataDirUnusable) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        _serve(stack, data_dir, demo, inbox)


def _serve(stack: Stack, data_dir: Path, demo: bool, inbox: DemoInbox | None) -> None:
    try:
        typer.echo(f"nats      {stack.nats_url}")
        typer.echo(f"mongodb   {stack.mongodb_url}")
        for name, url in stack.urls.items():
            typer.echo(f"{name:<9} {url}")
        typer.echo(f"{'dashboard':<9} {stack.urls['scheduler']}/")
        typer.echo(f"admin token in {stack.admin_token_path.resolve()} (sign in with it)")
        if inbox is not None:
            # The demo's stand-in for an owner's webhook (NOTIFIER_WEBHOOK_URL).
            typer.echo(f"{'inbox':<9} {inbox.url}")
            inbox.dashboard = f"{stack.urls['scheduler']}/"
        typer.echo(f"data and logs in {data_dir.resolve()}; Ctrl-C stops everything")
        if demo:
            secrets = demo_secrets(data_dir)
            _run_demo(stack.urls["ingest"], stack.urls["scheduler"], secrets, stack.admin_token)
            if inbox is not None and not inbox.wait_for(1, timeout=15):
                # The same deliveries again change nothing, so nobody is told twice.
                typer.echo("the owner's webhook received nothing: this data has seen the demo")
        _supervise(stack)
    except KeyboardInterrupt:
        typer.echo("stopping…")
    finally:
        stack.stop()


def _send(client: httpx.Client, url: str, what: str, signed: tuple[bytes, dict[str, str]]) -> None:
    body, headers = signed
    response = client.post(url, content=body, headers=headers)
    typer.echo(f"sent {what}: {response.status_code}")
    if response.status_code != 202:
        typer.echo(response.text, err=True)
        raise typer.Exit(1)


def _asked_for(rows: list[dict[str, Any]]) -> bool:
    """The checkout's three waiting customers have reached the scheduler."""
    return any(
        r["item_id"] == BLOCKED_ITEM and r.get("demand", {}).get("customers") == len(ASKING)
        for r in rows
    )


def _demo_settled(rows: list[dict[str, Any]]) -> bool:
    """The checkout is at risk and its three waiting customers have reached the scheduler."""
    return _asked_for(rows) and any(
        r["item_id"] == BLOCKED_ITEM and r["level"] != "on_track" for r in rows
    )


def _run_demo(
    ingest_url: str,
    scheduler_url: str,
    secrets: tuple[str, str],
    token: str | None,
    timeout: float = 30,
) -> None:
    """The issues opened, the customers asking, then the checkout blocked. Told in that order,
    the owner's message about the blocked checkout says who is waiting for it."""
    github, standard = secrets
    bearer = {"Authorization": f"Bearer {token}"} if token else {}
    deliveries = scenario(date.today())
    blocking = [d for d in deliveries if d.event == "issue_dependencies"]
    with httpx.Client(timeout=10) as client:
        _send_github(client, ingest_url, github, [d for d in deliveries if d not in blocking])
        for feedback in feedback_scenario():
            signed = feedback.signed(standard)
            _send(client, f"{ingest_url}/webhooks/standard", feedback.message_id, signed)
        if not _asked_for(_risk_rows_once(client, scheduler_url, bearer, _asked_for, timeout)):
            typer.echo(f"the customers' feedback has not reached the scheduler in {timeout:.0f}s")
        _send_github(client, ingest_url, github, blocking)
        rows = _risk_rows_once(client, scheduler_url, bearer, _demo_settled, timeout)
    typer.echo("")
    typer.echo(risk_table(rows))


def _send_github(
    client: httpx.Client, ingest_url: str, secret: str, deliveries: list[GitHubDelivery]
) -> None:
    for delivery in deliveries:
        what = f"{delivery.event}.{delivery.body.get('action')}"
        _send(client, f"{ingest_url}/webhooks/github", what, delivery.signed(secret))


def _risk_rows_once(
    client: httpx.Client,
    scheduler_url: str,
    headers: dict[str, str],
    settled: Callable[[list[dict[str, Any]]], bool],
    timeout: float,
) -> list[dict[str, Any]]:
    """The risk table once ``settled`` holds for it, or as it is when ``timeout`` runs out."""
    deadline = time.monotonic() + timeout
    while True:
        rows: list[dict[str, Any]] = client.get(f"{scheduler_url}/risk", headers=headers).json()
        if settled(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


@app.command()
def demo(
    ingest_url: str = "http://127.0.0.1:8080",
    scheduler_url: str = "http://127.0.0.1:8081",
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Send the bundled scenario of signed GitHub deliveries and print the risk table."""
    _run_demo(ingest_url, scheduler_url, demo_secrets(data_dir), api.token(data_dir))


def demo_secrets(data_dir: Path) -> tuple[str, str]:
    """What ingest checks the demo's GitHub and Standard Webhooks deliveries against: the
    configured secrets (the first of a rotation), else the data dir's dev secrets."""
    github = os.environ.get("INGEST_GITHUB_SECRET") or dev_secret(data_dir, "github")
    standard = os.environ.get("INGEST_STANDARD_SECRET") or standard_dev_secret(data_dir)
    return github.split(",")[0], standard.split(",")[0]


scheduler_commands.register(app)
token_commands.register(app)
ingest_commands.register(app)
docs.register(app)
feedback_commands.register(app)
report_command.register(app)
notifier_commands.register(app)
rebuild_commands.register(app)
deadletter_commands.register(app)


def run() -> None:
    app(prog_name="slipstream")


if __name__ == "__main__":
    run()
