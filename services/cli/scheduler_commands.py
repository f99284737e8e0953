"""``slipstream risk`` and ``slipstream explain``."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

import typer

from services.cli.api import call
from services.cli.demo import reason_text, risk_table

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
        lines.append(f"  because {reason_text(reason)}")
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


def register(app: typer.Typer) -> None:
    app.command()(risk)
    app.command()(explain)
