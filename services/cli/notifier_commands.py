"""``slipstream people …``, ``subscribe``, ``subscriptions``, ``unsubscribe``, ``notifications``
and ``redrive``: thin clients of the notifier's HTTP API, which owns every rule they touch."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from services.cli import api

NotifierUrl = Annotated[
    str, typer.Option("--notifier-url", envvar="SLIPSTREAM_NOTIFIER_URL", help="Notifier API.")
]
DEFAULT_NOTIFIER_URL = "http://127.0.0.1:8083"
people_app = typer.Typer(help="People the notifier can reach.", no_args_is_help=True)


def call(method: str, url: str, **kwargs: Any) -> Any:
    """One request; unreachable exits 2, a refusal (404, 422, …) exits 1 with the reason."""
    response = api.call("notifier", method, url, **kwargs)
    return response.json() if response.content else None


def quiet_hours(value: str | None) -> dict[str, str] | None:
    if value is None:
        return None
    start, sep, end = value.partition("-")
    if not sep:
        raise typer.BadParameter("quiet hours are HH:MM-HH:MM, e.g. 22:00-07:00")
    return {"start": start.strip(), "end": end.strip()}


def person_body(
    name: str, email: str | None, identity: list[str], channels: dict[str, Any], **rest: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "identities": identity, "channels": channels}
    if email:
        body["email"] = email
    return body | {k: v for k, v in rest.items() if v is not None}


@people_app.command("put")
def put_person(
    person_id: str,
    name: Annotated[str, typer.Option(help="Display name.")],
    email: Annotated[str | None, typer.Option(help="Their email, also an identity.")] = None,
    identity: Annotated[
        list[str] | None, typer.Option(help="tool:id, repeatable (github:octocat).")
    ] = None,
    slack: Annotated[str | None, typer.Option(help="Slack incoming-webhook URL.")] = None,
    email_address: Annotated[str | None, typer.Option(help="Where email goes.")] = None,
    webhook_url: Annotated[str | None, typer.Option(help="Signed webhook URL.")] = None,
    webhook_secret: Annotated[str | None, typer.Option(help="whsec_… signing secret.")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA zone, e.g. Europe/Berlin.")] = None,
    quiet: Annotated[str | None, typer.Option("--quiet-hours", help="e.g. 22:00-07:00.")] = None,
    notifier_url: NotifierUrl = DEFAULT_NOTIFIER_URL,
) -> None:
    """Create or replace a person (PUT /people/ID)."""
    channels: dict[str, Any] = {}
    if slack:
        channels["slack"] = {"webhook_url": slack}
    if email_address:
        channels["email"] = {"address": email_address}
    if webhook_url or webhook_secret:
        channels["webhook"] = {"url": webhook_url, "secret": webhook_secret}
    body = person_body(
        name, email, identity or [], channels, timezone=timezone, quiet_hours=quiet_hours(quiet)
    )
    call("PUT", f"{notifier_url}/people/{quote(person_id, safe='')}", json=body)
    typer.echo(f"saved {person_id}")


@people_app.command("list")
def list_people(notifier_url: NotifierUrl = DEFAULT_NOTIFIER_URL) -> None:
    """Everyone the notifier knows, with their channels."""
    for p in call("GET", f"{notifier_url}/people"):
        channels = ",".join(sorted(p.get("channels") or {})) or "-"
        typer.echo(f"{p['id']:<24} {p['name']:<24} {channels:<20} {p.get('timezone', 'UTC')}")


@people_app.command("delete")
def delete_person(person_id: str, notifier_url: NotifierUrl = DEFAULT_NOTIFIER_URL) -> None:
    """Forget a person (DELETE /people/ID)."""
    call("DELETE", f"{notifier_url}/people/{quote(person_id, safe='')}")
    typer.echo(f"deleted {person_id}")


def subscribe(
    person_id: str,
    channel: Annotated[str, typer.Option(help="slack, email or webhook.")],
    team: str | None = None,
    release: str | None = None,
    item: str | None = None,
    owner: str | None = None,
    min_level: Annotated[str | None, typer.Option(help="at_risk or off_track.")] = None,
    event: Annotated[list[str] | None, typer.Option(help="risk, release, … repeatable.")] = None,
    digest_seconds: Annotated[int | None, typer.Option(help="0 sends at once.")] = None,
    report_weekday: Annotated[
        str | None, typer.Option(help="With --event report: monday … sunday.")
    ] = None,
    report_hour: Annotated[
        int | None, typer.Option(help="With --event report: 0-23 in the person's zone.")
    ] = None,
    notifier_url: NotifierUrl = DEFAULT_NOTIFIER_URL,
) -> None:
    """Subscribe a person to a team, release, item or owner, or to the weekly report."""
    scope = {"team": team, "release": release, "item": item, "owner": owner}
    filter_: dict[str, Any] = {k: v for k, v in scope.items() if v is not None}
    if min_level:
        filter_["min_level"] = min_level
    if event:
        filter_["events"] = event
    body: dict[str, Any] = {"person_id": person_id, "channel": channel, "filter": filter_}
    if digest_seconds is not None:
        body["digest_seconds"] = digest_seconds
    if report_weekday is not None or report_hour is not None:
        body["schedule"] = {"weekday": report_weekday, "hour": report_hour}
    created = call("POST", f"{notifier_url}/subscriptions", json=body)
    typer.echo(f"subscribed {person_id}: {created['id']}")


def subscriptions(
    person: Annotated[str | None, typer.Option(help="Only this person's.")] = None,
    notifier_url: NotifierUrl = DEFAULT_NOTIFIER_URL,
) -> None:
    """List subscriptions."""
    params = {"person_id": person} if person else {}
    for s in call("GET", f"{notifier_url}/subscriptions", params=params):
        scope = {k: v for k, v in s["filter"].items() if k not in ("min_level", "events") and v}
        typer.echo(
            f"{s['id']:<26} {s['person_id']:<20} {s['channel']:<8} {s['digest_seconds']:>6}s "
            f"{s['filter']['min_level']:<10} {scope or 'everything'}"
        )


def unsubscribe(subscription_id: str, notifier_url: NotifierUrl = DEFAULT_NOTIFIER_URL) -> None:
    """Delete a subscription (DELETE /subscriptions/ID)."""
    call("DELETE", f"{notifier_url}/subscriptions/{quote(subscription_id, safe='')}")
    typer.echo(f"unsubscribed {subscription_id}")


def notifications(
    status: Annotated[str | None, typer.Option(help="pending/sent/retrying/failed/dead")] = None,
    person: str | None = None,
    since: Annotated[str | None, typer.Option(help="ISO time with zone.")] = None,
    limit: int = 100,
    notifier_url: NotifierUrl = DEFAULT_NOTIFIER_URL,
) -> None:
    """The notification log, newest first (GET /notifications)."""
    query = {"status": status, "person": person, "since": since, "limit": limit}
    params = {k: v for k, v in query.items() if v is not None}
    typer.echo(notifications_table(call("GET", f"{notifier_url}/notifications", params=params)))


def notifications_table(rows: list[dict[str, Any]]) -> str:
    """When, to whom, how it went, and what it said (older rows have no headline)."""
    header = f"{'created (UTC)':<16} {'status':<8} {'person':<16} {'channel':<7} {'code':>4}  what"
    lines = [header, "-" * len(header)]
    for n in rows:
        created = str(n.get("created_at") or "-")[:16].replace("T", " ")
        what = n.get("headline") or n.get("event_type") or "-"
        error = f"  ({n['error']})" if n.get("error") else ""
        lines.append(
            f"{created:<16} {n.get('status', '-'):<8} {n.get('person_id') or '-':<16} "
            f"{n.get('channel') or '-':<7} {n.get('status_code') or '-'!s:>4}  {what}{error}"
        )
        lines.append(f"{'':<16} {n['id']}")
    return "\n".join(lines)


def redrive(
    since: Annotated[str | None, typer.Option(help="Only those failed since (ISO).")] = None,
    notifier_url: NotifierUrl = DEFAULT_NOTIFIER_URL,
) -> None:
    """Send failed and dead notifications again (POST /notifications/redrive)."""
    body = {"since": since} if since else {}
    result = call("POST", f"{notifier_url}/notifications/redrive", json=body)
    typer.echo(f"redriven {result['redriven']}")


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")
    for command in (subscribe, subscriptions, unsubscribe, notifications, redrive):
        app.command()(command)
