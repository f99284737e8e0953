"""``slipstream rebuild scheduler|feedback [--check]``: replay the streams, compare, swap in."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from nats.js import JetStreamContext

from services.feedback import rebuild as feedback_rebuild
from services.feedback.adapters.organisations_file import load_organisations
from services.feedback.config import FeedbackSettings
from services.feedback.domain.tag_rules import TagRules
from services.feedback.main import demand_rules
from services.scheduler import rebuild as scheduler_rebuild
from services.scheduler.config import SchedulerSettings
from services.scheduler.main import policy_from
from shared.rebuild import Database, RebuildReport, rebuild_and_swap

NatsUrl = Annotated[str, typer.Option(envvar="NATS_URL")]
MongoUrl = Annotated[str, typer.Option(envvar="MONGODB_URL")]
DatabaseName = Annotated[str, typer.Option(envvar="MONGODB_DATABASE")]
Check = Annotated[bool, typer.Option(help="Compare only; exit 1 if they differ.")]
DEFAULT_NATS, DEFAULT_MONGO = "nats://127.0.0.1:4222", "mongodb://127.0.0.1:27017"


def print_report(report: RebuildReport, check: bool) -> None:
    rebuilt = ", ".join(f"{n} {what}" for what, n in report.rebuilt.items())
    typer.echo(
        f"replayed {report.events} events ({report.undecodable} undecodable)"
        + (f", {rebuilt}" if rebuilt else "")
    )
    for name, ids in report.differences.items():
        typer.echo(f"{name}: {len(ids)} differ from live, e.g. {', '.join(ids[:3])}")
    if not report.differences:
        typer.echo("identical to the live projections")
    typer.echo("checked only; live collections untouched" if check else "swapped in")
    if check and report.differences:
        raise typer.Exit(1)


def rebuild_scheduler(
    nats_url: NatsUrl = DEFAULT_NATS,
    mongodb_url: MongoUrl = DEFAULT_MONGO,
    database: DatabaseName = "slipstream",
    check: Check = False,
) -> None:
    """Replay WORK and demand events (and RISK into history) into empty collections; swap in.

    Stop the scheduler first and start it afterwards: its start-up reconciliation then
    announces any risk the rebuilt assessments changed.
    """
    settings = SchedulerSettings()

    async def build(scratch: Database, live: Database, js: JetStreamContext) -> RebuildReport:
        return await scheduler_rebuild.rebuild_into(
            scratch,
            js,
            policy_from(settings),
            datetime.now(UTC).date(),
            history_retention_days=settings.history_retention_days,
        )

    report = asyncio.run(
        rebuild_and_swap(
            (nats_url, mongodb_url),
            database,
            check,
            build,
            scheduler_rebuild.differences,
            scheduler_rebuild.swap,
        )
    )
    print_report(report, check)


def rebuild_feedback(
    nats_url: NatsUrl = DEFAULT_NATS,
    mongodb_url: MongoUrl = DEFAULT_MONGO,
    database: DatabaseName = "slipstream",
    check: Check = False,
) -> None:
    """Replay feedback, WORK and feedback's own announcements into empty collections; swap in.

    Manual links and organisation edits are kept as they are. Stop the feedback service
    first and start it afterwards.
    """
    settings = FeedbackSettings()
    from_file = load_organisations(settings.organisations) if settings.organisations else {}
    tags = TagRules.from_config(settings.tag_rules)

    async def build(scratch: Database, live: Database, js: JetStreamContext) -> RebuildReport:
        return await feedback_rebuild.rebuild_into(
            scratch, live, js, demand_rules(settings), from_file, tags
        )

    report = asyncio.run(
        rebuild_and_swap(
            (nats_url, mongodb_url),
            database,
            check,
            build,
            feedback_rebuild.differences,
            feedback_rebuild.swap,
        )
    )
    print_report(report, check)


def register(app: typer.Typer) -> None:
    rebuild = typer.Typer(help="Rebuild a service's projections from the event streams.")
    rebuild.command("scheduler")(rebuild_scheduler)
    rebuild.command("feedback")(rebuild_feedback)
    app.add_typer(rebuild, name="rebuild")
