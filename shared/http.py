"""HTTP plumbing every service shares: problem+json errors, health and readiness, tracing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[None]]


class NotReady(Exception):
    """Raised by a readiness check: reachable, but not doing its job yet; the message says why."""


PROBLEM_JSON = "application/problem+json"
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
# Probes and scrapes come every few seconds; a trace each would bury the traces that matter.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def problem_document(status: int, title: str, detail: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem document's body."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    return body


def problem(
    status: int, title: str, detail: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """An RFC 9457 problem response."""
    body = problem_document(status, title, detail)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem(exc.status_code, str(exc.detail), headers=exc.headers)

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem(422, "Invalid request", str(exc.errors()))

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Last resort: log with the trace id and answer 503 so the sender retries later.
        logger.exception("unhandled error", exc_info=exc)
        return problem(503, "Temporarily unavailable", headers={"Retry-After": "5"})

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unexpected)


def health_router(checks: Mapping[str, ReadinessCheck], timeout: float = 2.0) -> APIRouter:
    """``/healthz`` says the process serves; ``/readyz`` that its dependencies answer."""
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout)
                results[name] = "ok"
            except NotReady as exc:
                results[name] = f"not ready: {exc}"
            except Exception as exc:
                results[name] = f"unavailable: {type(exc).__name__}"
        ready = all(value == "ok" for value in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    return router


def metrics_router(render: Callable[[], Awaitable[bytes]]) -> APIRouter:
    """``/metrics`` in Prometheus's text format, for a scraper on the internal network."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(await render(), media_type=PROMETHEUS_TEXT)

    return router


class PrefixDispatch:
    """Hands ``<prefix><one segment>`` straight to a bare ASGI endpoint, past FastAPI's routing.

    For a hot endpoint that parses its own request and writes its own answers: routing,
    dependency solving and response classes would otherwise cost more than the work itself.
    Anything else (deeper paths, a trailing slash) goes on to the app as before.
    """

    def __init__(self, app: ASGIApp, prefix: str, endpoint: ASGIApp) -> None:
        self.app = app
        self.prefix = prefix
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            rest = path[len(self.prefix) :]
            if path.startswith(self.prefix) and rest and "/" not in rest:
                await self.endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


def content_security_policy(style_hashes: Sequence[str] = ()) -> bytes:
    """No inline script at all, and inline style only the exact blocks listed by hash."""
    styles = " ".join(["'self'", *(f"'{h}'" for h in style_hashes)])
    return (
        "default-src 'self'; img-src 'self' data:; "
        f"style-src {styles}; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ).encode()


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    # Not "no-referrer": under it browsers send ``Origin: null`` on same-site form posts,
    # and the sign-in form's Origin check would refuse them.
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """The browser-facing headers on every FastAPI-served answer (the webhook path skips it)."""

    def __init__(self, app: ASGIApp, style_hashes: Sequence[str] = ()) -> None:
        self.app = app
        policy = (b"content-security-policy", content_security_policy(style_hashes))
        self.headers = [policy, *SECURITY_HEADERS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        await self.app(scope, receive, with_headers)


class TracingMiddleware:
    """A server span per request, continuing any ``traceparent`` the caller sent."""

    def __init__(self, app: ASGIApp, tracer: trace.Tracer) -> None:
        self.app = app
        self.tracer = tracer
        self.fields = frozenset(propagate.get_global_textmap().fields)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNTRACED_PATHS:
            await self.app(scope, receive, send)
            return
        # Only the headers the propagator reads: decoding all of them costs on every request.
        carrier = {
            name: v.decode("latin-1")
            for k, v in scope["headers"]
            if (name := k.decode("latin-1")) in self.fields
        }
        method, path = scope["method"], scope["path"]
        span = self.tracer.start_span(
            f"{method} {path}",
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path},
        )
        # Attached by hand: start_as_current_span's generator-based context managers cost
        # a measurable share of a webhook request, for the same span and the same context.
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            await self.app(scope, receive, status_recorder(span, send))
        except Exception as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            otel_context.detach(token)
            span.end()


def status_recorder(span: trace.Span, send: Send) -> Send:
    async def send_with_status(message: Message) -> None:
        if message["type"] == "http.response.start":
            status = int(message["status"])
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
        await send(message)

    return send_with_status
