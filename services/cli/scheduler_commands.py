"""``slipstream risk``, ``slipstream explain`` and ``slipstream rebuild scheduler``."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import nats
import typer
from pymongo import AsyncMongoClient

from services.cli.api import call
from services.cli.demo import risk_table
from services.scheduler.config import SchedulerSettings
from services.scheduler.main import policy_from
from services.scheduler.rebuild import RebuildReport, differences, rebuild_into, swap

SchedulerUrl = Annotated[
    str, typer.Option("--scheduler-url", envvar="SLIPSTREAM_SCHEDULER_URL", help="Scheduler API.")
]
DEFAULT_SCHEDULER_URL = "http://127.0.0.1:8081"


def _get(url: str, params: dict[str, str] | None = None) -> Any:
    return call("scheduler", "GET", url, params=params).json()


def risk(
    scheduler_url: SchedulerUrl = DEFAULT_SCHEDULER_URL,
    level: Annotated[str | None, typer.Option(help="on_track, at_risk or off_track")] = None,
    team: str | None = None,
    release: str | None = None,
    owner: str | None = None,
    limit: int = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """Print the ranked risk table."""
    filters = {"level": level, "team": team, "release": release, "owner": owner}
    params = {k: v for k, v in filters.items() if v is not None} | {"limit": str(limit)}
    rows = _get(f"{scheduler_url}/risk", params)
    typer.echo(json.dumps(rows, indent=2) if as_json else risk_table(rows))


def explain_text(found: dict[str, Any]) -> str:
    """The item's verdict, its reasons, then its critical chain with dates."""
    lines = [
        f"{found['item_id']}  {found.get('title') or ''}",
        f"level {found.get('level')}  score {found.get('score') or 0:.1f}  "
        f"target {found.get('target') or '-'}  forecast {found.get('forecast') or '-'}  "
        f"slip {found.get('slip_days') or 0}d",
    ]
    for reason in found.get("reasons", []):
        lines.append(f"  because {reason.get('message', reason.get('code'))}")
    lines.append("critical chain (each waits on the next):")
    for depth, member in enumerate(found.get("explanation", [])):
        lines.append(
            f"  {'  ' * depth}{member['item_id']}  {member.get('title') or ''}  "
            f"[{member.get('status') or '?'}, {member.get('level') or '-'}]  "
            f"target {member.get('target') or '-'}  forecast {member.get('forecast') or '-'}"
        )
    return "\n".join(lines)


def explain(item_id: str, scheduler_url: SchedulerUrl = DEFAULT_SCHEDULER_URL) -> None:
    """Print why an item is at risk: reasons and the chain of blockers with their dates."""
    typer.echo(explain_text(_get(f"{scheduler_url}/items/{quote(item_id, safe=':/')}")))


async def _rebuild(nats_url: str, mongodb_url: str, database: str, check: bool) -> RebuildReport:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    connection = await nats.connect(nats_url)
    scratch = f"{database}_rebuild"
    try:
        await client.drop_database(scratch)
        settings = SchedulerSettings()
        today = datetime.now(UTC).date()
        report = await rebuild_into(
            client[scratch],
            connection.jetstream(),
            policy_from(settings),
            today,
            history_retention_days=settings.history_retention_days,
        )
        report.differences = await differences(client[database], client[scratch])
        if check:
            await client.drop_database(scratch)
        else:
            await swap(client, scratch, database)
        return report
    finally:
        await connection.close()
        await client.close()


def rebuild_scheduler(
    nats_url: Annotated[str, typer.Option(envvar="NATS_URL")] = "nats://127.0.0.1:4222",
    mongodb_url: Annotated[str, typer.Option(envvar="MONGODB_URL")] = "mongodb://127.0.0.1:27017",
    database: Annotated[str, typer.Option(envvar="MONGODB_DATABASE")] = "slipstream",
    check: Annotated[bool, typer.Option(help="Compare only; exit 1 if they differ.")] = False,
) -> None:
    """Replay WORK and demand events (and RISK into history) into empty collections; swap in.

    Stop the scheduler first and start it afterwards: its start-up reconciliation then
    announces any risk the rebuilt assessments changed.
    """
    report = asyncio.run(_rebuild(nats_url, mongodb_url, database, check))
    typer.echo(
        f"replayed {report.events} events ({report.undecodable} undecodable), "
        f"{report.assessments} assessments"
    )
    for name, ids in report.differences.items():
        typer.echo(f"{name}: {len(ids)} differ from live, e.g. {', '.join(ids[:3])}")
    if not report.differences:
        typer.echo("identical to the live projections")
    typer.echo("checked only; live collections untouched" if check else "swapped in")
    if check and report.differences:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(risk)
    app.command()(explain)
    rebuild = typer.Typer(help="Rebuild a service's projections from the event streams.")
    rebuild.command("scheduler")(rebuild_scheduler)
    app.add_typer(rebuild, name="rebuild")
