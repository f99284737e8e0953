"""One way for CLI commands to call a service's HTTP API and say plainly what went wrong."""

from __future__ import annotations

from typing import Any

import httpx
import typer


def call(service: str, method: str, url: str, timeout: float = 10, **kwargs: Any) -> httpx.Response:
    """The response of a 2xx answer; otherwise one line on stderr and exit 2 (down) or 1."""
    try:
        response = httpx.request(method, url, timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        typer.echo(f"error: {service} unreachable at {url}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if response.status_code >= 400:
        typer.echo(f"error: {response.status_code}: {problem_text(response)}", err=True)
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
