"""``slipstream token create|list|revoke``: the only writer of ``api_tokens`` (see
``shared.api_tokens``), talking to MongoDB directly because no service owns the tokens.

``slipstream up`` uses ``ensure_token`` for its first admin token and the scheduler's own.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pymongo import MongoClient

from shared.api_tokens import SCOPES, NameTaken, Scope, TokenRegistry

token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)
STACK_FILE = "stack.json"  # written by ``slipstream up``: where its embedded servers listen

DATA_DIR_ENV = "SLIPSTREAM_DATA_DIR"
DEFAULT_DATA_DIR = Path(".slipstream")
# Every command that reads or writes the data directory takes it the same way, so one
# exported SLIPSTREAM_DATA_DIR points `up`, `token` and the API commands at the same place.
DataDir = Annotated[
    Path,
    typer.Option("--data-dir", envvar=DATA_DIR_ENV, help="The data directory `up` uses."),
]
MongoUrl = Annotated[
    str | None,
    typer.Option("--mongodb-url", envvar="MONGODB_URL", help="Default: the running `up`'s."),
]
Database = Annotated[str, typer.Option("--database", envvar="MONGODB_DATABASE")]


def admin_token_path(data_dir: Path) -> Path:
    return data_dir / "secrets" / "admin-token"


def registry(mongodb_url: str, database: str) -> TokenRegistry:
    client: MongoClient[dict[str, Any]] = MongoClient(
        mongodb_url, tz_aware=True, serverSelectionTimeoutMS=5_000
    )
    return TokenRegistry(client[database])


def running_mongodb_url(data_dir: Path, given: str | None) -> str:
    if given:
        return given
    stack = data_dir / STACK_FILE
    if stack.exists():
        return str(json.loads(stack.read_text())["mongodb_url"])
    return "mongodb://127.0.0.1:27017"


def write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)  # also when it existed with looser bits
    path.write_text(value + "\n")


def ensure_token(tokens: TokenRegistry, path: Path, name: str, scope: Scope) -> str:
    """The token in ``path`` while it is still valid, else a new one written there (0600)."""
    if path.exists():
        kept = path.read_text().strip()
        if tokens.find(kept) is not None:
            return kept
    now = datetime.now(UTC)
    try:
        token = tokens.create(name, scope, now)
    except NameTaken:  # a name from another data directory on the same database
        token = tokens.create(f"{name}-{secrets.token_hex(3)}", scope, now)
    write_secret(path, token)
    return token


@token_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Who or what holds it; revoke by this name.")],
    scope: Annotated[str, typer.Option(help="read, or admin (implies read).")] = "read",
    data_dir: DataDir = DEFAULT_DATA_DIR,
    mongodb_url: MongoUrl = None,
    database: Database = "slipstream",
) -> None:
    """Create a token and print it once; only its hash is stored."""
    if scope not in SCOPES:
        raise typer.BadParameter(f"one of {', '.join(SCOPES)}", param_hint="--scope")
    tokens = registry(running_mongodb_url(data_dir, mongodb_url), database)
    try:
        token = tokens.create(name, scope, datetime.now(UTC))
    except NameTaken:
        typer.echo(f"error: a token named {name} exists; revoke it or pick another name", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)
    typer.echo(f"{scope} token {name}: shown once, store it now", err=True)


@token_app.command("list")
def list_tokens(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    mongodb_url: MongoUrl = None,
    database: Database = "slipstream",
) -> None:
    """Names, scopes and creation times; never the tokens (they are not stored)."""
    for t in registry(running_mongodb_url(data_dir, mongodb_url), database).all():
        typer.echo(f"{t.name:<32} {t.scope:<6} {t.created_at:%Y-%m-%d %H:%M:%S}Z")


@token_app.command("revoke")
def revoke(
    name: str,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    mongodb_url: MongoUrl = None,
    database: Database = "slipstream",
) -> None:
    """Delete a token; every service refuses it within SLIPSTREAM_AUTH_CACHE_SECONDS."""
    if not registry(running_mongodb_url(data_dir, mongodb_url), database).revoke(name):
        typer.echo(f"error: no token named {name}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {name}")


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
