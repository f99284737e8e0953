"""``slipstream docs``: each service's AsyncAPI and OpenAPI documents, written to ``docs/``.

Both come from the code, not by hand: FastStream's generator reads the subscribers (their
subjects and the event unions their bodies are typed as) and FastAPI reads the routes. Each
service is composed by its own ``create_app`` and never started, so nothing connects.
``tests/unit/test_docs.py`` fails when the committed documents differ from what this writes.
"""

from __future__ import annotations

import importlib
import json
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any

import typer
from fastapi import FastAPI
from faststream.specification import AsyncAPI

from shared.settings import ServiceSettings

# Each service, by the name of its settings class (in ``services.<service>.config``).
SERVICES = {
    "ingest": "IngestSettings",
    "scheduler": "SchedulerSettings",
    "feedback": "FeedbackSettings",
    "notifier": "NotifierSettings",
}
DEFAULT_DOCS_DIR = Path(__file__).parents[2] / "docs"
# Documents describe the default configuration: settings are validated from this alone, not
# from the environment of whoever writes them, so the committed documents do not drift.
DOCUMENTED_URLS = {"nats_url": "nats://127.0.0.1:4222", "mongodb_url": "mongodb://127.0.0.1:27017"}


def _compose(service: str) -> FastAPI:
    main = importlib.import_module(f"services.{service}.main")
    config = importlib.import_module(f"services.{service}.config")
    settings_class: type[ServiceSettings] = getattr(config, SERVICES[service])
    app: FastAPI = main.create_app(settings_class.model_validate(DOCUMENTED_URLS))
    return app


def _render(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def documents() -> dict[str, str]:
    """File name → content, for every service's two documents."""
    written: dict[str, str] = {}
    for service in SERVICES:
        app = _compose(service)
        # The scheduler registers its subscribers only when it leads; documenting needs them.
        register = getattr(app.state, "register_subscribers", None)
        if register is not None:
            register()
        asyncapi = AsyncAPI(
            app.state.broker, title=f"Slipstream {service}", version=version("slipstream")
        )
        written[f"{service}.asyncapi.json"] = _render(asyncapi.to_specification().to_jsonable())
        written[f"{service}.openapi.json"] = _render(app.openapi())
    return written


def docs_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the documents.")] = (
        DEFAULT_DOCS_DIR
    ),
) -> None:
    """Write each service's AsyncAPI (events) and OpenAPI (HTTP) documents as JSON."""
    out.mkdir(parents=True, exist_ok=True)
    for name, content in documents().items():
        (out / name).write_text(content)
        typer.echo(f"wrote {out / name}")


def register(app: typer.Typer) -> None:
    app.command("docs")(docs_command)
