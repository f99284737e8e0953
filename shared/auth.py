"""Who is calling: bearer tokens (or the dashboard's session cookie) and the scope they hold.

Every service's routers take ``dependencies=[require("read")]`` or ``require("admin")`` at the
composition root. A missing or unknown credential is a 401 problem with
``WWW-Authenticate: Bearer``; a known one without the scope is a 403. Spans and logs name the
token (``slipstream.auth.token``), never carry it.

Lookups are cached for ``ttl`` seconds (positive and negative), so a revocation reaches every
replica within that time without a database read per request.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry import trace

from shared.api_tokens import TokenRecord, grants, token_hash
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

SESSION_COOKIE = "slipstream_session"
CSRF_COOKIE = "slipstream_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_CACHED = 10_000


@dataclass(frozen=True)
class Principal:
    name: str
    scope: str
    via: str  # "bearer" or "session"
    token_hash: str


class Tokens(Protocol):
    """``shared.api_tokens.TokenLookup`` in services; an in-memory one in unit tests."""

    async def by_hash(self, hashed: str) -> TokenRecord | None: ...


class Sessions(Protocol):
    """A dashboard session's token, by the session cookie's value (the scheduler keeps them)."""

    async def token_hash(self, session_id: str) -> str | None: ...


class Authenticator:
    def __init__(
        self,
        lookup: Tokens,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sessions: Sessions | None = None,
    ) -> None:
        self.lookup = lookup
        self.ttl = ttl
        self.clock = clock
        self.sessions = sessions
        self.cache: dict[str, tuple[float, TokenRecord | None]] = {}

    async def by_hash(self, hashed: str) -> TokenRecord | None:
        now = self.clock()
        cached = self.cache.get(hashed)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await self.lookup.by_hash(hashed)
        if len(self.cache) >= MAX_CACHED:  # a flood of made-up tokens must not grow memory
            self.cache.clear()
        self.cache[hashed] = (now + self.ttl, found)
        return found

    async def token(self, token: str) -> Principal | None:
        found = await self.by_hash(token_hash(token))
        return None if found is None else Principal(found.name, found.scope, "bearer", found.hash)

    async def authenticate(self, request: Request, bearer: str | None) -> Principal | None:
        if bearer:
            return await self.token(bearer)
        session_id = request.cookies.get(SESSION_COOKIE)
        if not session_id or self.sessions is None:
            return None
        hashed = await self.sessions.token_hash(session_id)
        found = None if hashed is None else await self.by_hash(hashed)
        if found is None:
            return None
        if request.method not in SAFE_METHODS:
            csrf_checked(request)
        return Principal(found.name, found.scope, "session", found.hash)


def csrf_checked(request: Request) -> None:
    """A cookie rides along on any request the browser makes, so a state change needs proof
    the page itself sent it: the double-submitted token and, when sent, a same-site Origin."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise HTTPException(403, "Cross-site request refused")
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(403, "Cross-site request refused")


_bearer = Depends(
    HTTPBearer(auto_error=False, description="slipstream token create --scope read|admin")
)


def unauthenticated() -> HTTPException:
    return HTTPException(
        401, "Authentication required", headers={"WWW-Authenticate": 'Bearer realm="slipstream"'}
    )


def require(scope: str) -> Any:
    """A FastAPI dependency: the caller holds ``scope`` (``admin`` implies ``read``)."""

    async def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, _bearer]
    ) -> Principal:
        auth: Authenticator = request.app.state.auth
        bearer = credentials.credentials if credentials is not None else None
        principal = await auth.authenticate(request, bearer)
        if principal is None:
            logger.info("unauthenticated", extra=log_fields(path=request.url.path))
            raise unauthenticated()
        span = trace.get_current_span()
        span.set_attribute("slipstream.auth.token", principal.name)
        span.set_attribute("slipstream.auth.via", principal.via)
        if not grants(principal.scope, scope):
            fields = log_fields(path=request.url.path, token=principal.name, needed=scope)
            logger.info("insufficient scope", extra=fields)
            challenge = f'Bearer error="insufficient_scope", scope="{scope}"'
            raise HTTPException(403, "Insufficient scope", headers={"WWW-Authenticate": challenge})
        request.state.principal = principal
        return principal

    return Depends(check)
