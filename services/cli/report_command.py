"""``slipstream report``: the scheduler's weekly status as Markdown, HTML or PDF."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from services.cli.api import call
from services.cli.pdf import PdfEngineMissing, find_chromium, print_pdf
from services.cli.scheduler_commands import DEFAULT_SCHEDULER_URL, SchedulerUrl


class Format(StrEnum):
    MD = "md"
    HTML = "html"
    PDF = "pdf"


def fetch_report(scheduler_url: str, since: str, fmt: str) -> str:
    params = {"since": since, "format": fmt}
    return call("scheduler", "GET", f"{scheduler_url}/report", timeout=30, params=params).text


def report(
    since: Annotated[str, typer.Option(help="7d, 36h, 2w or an ISO instant.")] = "7d",
    fmt: Annotated[Format, typer.Option("--format", help="md, html or pdf.")] = Format.MD,
    out: Annotated[Path | None, typer.Option(help="Write here instead of printing.")] = None,
    scheduler_url: SchedulerUrl = DEFAULT_SCHEDULER_URL,
) -> None:
    """Print (or write) the weekly status: releases, movements, slipping chains, demand."""
    if fmt is Format.PDF:
        target = out or Path("slipstream-report.pdf")
        try:
            chromium = find_chromium()
        except PdfEngineMissing as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        print_pdf(fetch_report(scheduler_url, since, "html"), target, chromium)
        typer.echo(f"wrote {target}")
        return
    text = fetch_report(scheduler_url, since, fmt.value)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command()(report)
