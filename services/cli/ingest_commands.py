"""``slipstream replay``: re-normalise stored raw deliveries and republish their events."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated

import nats
import typer

from services.ingest.adapters.replay import ReplayCounts, replay
from services.ingest.config import IngestSettings
from services.ingest.domain import SOURCES, SourceRules


def _since(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO 8601 time: {value!r}") from exc
    # A bare time means UTC, as every timestamp Slipstream stores is.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _run(url: str, since: datetime, source: str | None, rules: SourceRules) -> ReplayCounts:
    client = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=3)
    try:
        return await replay(
            client.jetstream(), since, source, SOURCES, rules, run_id=uuid.uuid4().hex[:12]
        )
    finally:
        await client.drain()


def replay_command(
    since: Annotated[str, typer.Option(help="ISO 8601 time, e.g. 2026-11-01T00:00:00Z.")],
    source: Annotated[str | None, typer.Option(help="Only this source, e.g. github.")] = None,
    nats_url: Annotated[str | None, typer.Option(help="Default: NATS_URL.")] = None,
) -> None:
    """Re-normalise raw deliveries received since a time and republish their events."""
    if source is not None and source not in SOURCES:
        raise typer.BadParameter(f"unknown source; one of {', '.join(sorted(SOURCES))}")
    start = _since(since)
    settings = IngestSettings()  # the same rules the running normaliser follows
    counts = asyncio.run(_run(nats_url or settings.nats_url, start, source, settings.rules))
    typer.echo(
        f"replayed {counts.deliveries} deliveries since {start.isoformat()}: "
        f"{counts.events} events republished, {counts.ignored} ignored, "
        f"{counts.uninterpretable} still uninterpretable"
    )


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)
