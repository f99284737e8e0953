"""``slipstream demand``, ``slipstream feedback ITEM_ID`` and ``slipstream link``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from services.cli.api import call
from services.notifier.domain.slack_blocks import clip

FeedbackUrl = Annotated[
    str, typer.Option("--feedback-url", envvar="SLIPSTREAM_FEEDBACK_URL", help="Feedback API.")
]
DEFAULT_FEEDBACK_URL = "http://127.0.0.1:8082"


def _call(method: str, url: str, **kwargs: Any) -> Any:
    return call("feedback", method, url, **kwargs).json()


def demand_table(rows: list[dict[str, Any]]) -> str:
    header = (
        f"{'item':<30} {'title':<24} {'weight':>7} {'customers':>9} {'orgs':>5} "
        f"{'ARR waiting':>12}  trend"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        arr = "-" if row["arr_waiting"] is None else f"{row['arr_waiting']:,.0f}"
        trend = row.get("trend") or {}
        counts = " ".join(str(n) for n in trend.get("per_window", []))
        surging = "  SURGING" if trend.get("surging") else ""
        lines.append(
            f"{row['item_id']:<30} {clip(row.get('title') or '-', 24):<24} {row['weight']:>7.2f} "
            f"{row['customers']:>9} {row['organisations']:>5} {arr:>12}  {counts}{surging}"
        )
    return "\n".join(lines)


def feedback_table(pieces: list[dict[str, Any]]) -> str:
    header = (
        f"{'feedback':<28} {'customer':<28} {'organisation':<24} {'imp':>3} {'linked':<8} "
        f"{'state':<7} url"
    )
    lines = [header, "-" * len(header)]
    for p in pieces:
        lines.append(
            f"{p['feedback_id']:<28} {p['customer_id']:<28} {p['organisation_id'] or '-':<24} "
            f"{p['importance']:>3} {p['linked_by']:<8} {p.get('state', 'waiting'):<7} "
            f"{p['url'] or '-'}"
        )
    return "\n".join(lines)


def demand(
    feedback_url: FeedbackUrl = DEFAULT_FEEDBACK_URL,
    limit: int = 50,
    team: str | None = None,
    release: str | None = None,
) -> None:
    """Print items ranked by weighted customer demand, with feedback per day (oldest first)."""
    filters = {"team": team, "release": release}
    params = {k: v for k, v in filters.items() if v is not None} | {"limit": str(limit)}
    typer.echo(demand_table(_call("GET", f"{feedback_url}/demand", params=params)))


def feedback(item_id: str, feedback_url: FeedbackUrl = DEFAULT_FEEDBACK_URL) -> None:
    """Print who is waiting on one item: each piece of feedback and how it was linked."""
    url = f"{feedback_url}/items/{quote(item_id, safe=':/')}/feedback"
    typer.echo(feedback_table(_call("GET", url)))


def link(
    feedback_id: str,
    item_id: str,
    remove: Annotated[bool, typer.Option("--remove", help="Unlink; it sticks.")] = False,
    feedback_url: FeedbackUrl = DEFAULT_FEEDBACK_URL,
) -> None:
    """Link a piece of feedback to an item by hand, or unlink it with --remove."""
    pair = {"feedback_id": feedback_id, "item_id": item_id}
    if remove:
        _call("DELETE", f"{feedback_url}/links", params=pair)
        typer.echo(f"unlinked {feedback_id} from {item_id}")
    else:
        _call("POST", f"{feedback_url}/links", json=pair)
        typer.echo(f"linked {feedback_id} to {item_id}")


def register(app: typer.Typer) -> None:
    app.command()(demand)
    app.command()(feedback)
    app.command()(link)
