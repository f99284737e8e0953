"""One way for CLI commands to call a service's HTTP API and say plainly what went wrong."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import typer

from services.cli.token_commands import DATA_DIR_ENV, DEFAULT_DATA_DIR, admin_token_path


def token(data_dir: Path | None = None) -> str | None:
    """``SLIPSTREAM_TOKEN``, else the admin token ``slipstream up`` left in the data directory
    (``data_dir``, else ``SLIPSTREAM_DATA_DIR``, else ``.slipstream``)."""
    given = os.environ.get("SLIPSTREAM_TOKEN")
    if given:
        return given.strip()
    data_dir = data_dir or Path(os.environ.get(DATA_DIR_ENV, DEFAULT_DATA_DIR))
    path = admin_token_path(data_dir)
    return path.read_text().strip() if path.exists() else None


def authorised(headers: dict[str, str] | None = None) -> dict[str, str]:
    found = token()
    return {**({"Authorization": f"Bearer {found}"} if found else {}), **(headers or {})}


def call(service: str, method: str, url: str, timeout: float = 10, **kwargs: Any) -> httpx.Response:
    """The response of a 2xx answer; otherwise one line on stderr and exit 2 (down) or 1."""
    kwargs["headers"] = authorised(kwargs.get("headers"))
    try:
        response = httpx.request(method, url, timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        typer.echo(f"error: {service} unreachable at {url}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if response.status_code >= 400:
        typer.echo(f"error: {response.status_code}: {problem_text(response)}", err=True)
        if response.status_code == 401:
            typer.echo("set SLIPSTREAM_TOKEN, or SLIPSTREAM_DATA_DIR to where `up` runs", err=True)
        raise typer.Exit(1)
    return response


def problem_text(response: httpx.Response) -> str:
    """A problem+json body's title and detail, or the body as it came."""
    try:
        body = response.json()
    except ValueError:
        return response.text
    parts = (body.get("title"), body.get("detail")) if isinstance(body, dict) else (body,)
    return ": ".join(str(p) for p in parts if p)
