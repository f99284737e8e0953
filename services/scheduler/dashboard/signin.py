"""``/signin`` and ``/signout``: a token typed once becomes an HttpOnly, SameSite=Strict cookie.

The page is a plain form (no script), posted to this origin only. The session cookie is never
readable by the page; a second cookie carries the CSRF token the page echoes in ``X-CSRF-Token``
on anything that changes state (``shared.auth.csrf_checked``).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from services.scheduler.dashboard.sessions import SESSION_HOURS, MongoSessions
from shared.api_tokens import grants
from shared.auth import CSRF_COOKIE, SESSION_COOKIE, Authenticator, require

PAGE = Path(__file__).parent / "static" / "signin.html"
MESSAGE_SLOT = "<!--message-->"
MAX_FORM_BYTES = 4096


def signin_page(message: str = "", status: int = 200) -> HTMLResponse:
    shown = f'<p class="empty" role="alert">{message}</p>' if message else ""
    html = PAGE.read_text().replace(MESSAGE_SLOT, shown)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def set_cookies(response: Response, request: Request, session_id: str) -> None:
    secure = request.url.scheme == "https"
    age = SESSION_HOURS * 3600
    for name, value, http_only in (
        (SESSION_COOKIE, session_id, True),
        (CSRF_COOKIE, secrets.token_urlsafe(16), False),  # the page reads it to echo it
    ):
        response.set_cookie(
            name, value, max_age=age, path="/", secure=secure, httponly=http_only,
            samesite="strict",
        )  # fmt: skip


def signin_router(sessions: MongoSessions) -> APIRouter:
    router = APIRouter()

    @router.get("/signin", include_in_schema=False)
    async def page() -> HTMLResponse:
        return signin_page()

    @router.post("/signin", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        if not same_origin(request):
            raise HTTPException(403, "Cross-site request refused")
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "Payload too large")
        token = (parse_qs(body.decode(errors="replace")).get("token") or [""])[0].strip()
        auth: Authenticator = request.app.state.auth
        principal = await auth.token(token) if token else None
        if principal is None or not grants(principal.scope, "read"):
            return signin_page("That token is not valid (revoked, mistyped or unknown).", 401)
        response = RedirectResponse("/", status_code=303)
        set_cookies(response, request, await sessions.open(principal.token_hash))
        return response

    @router.post("/signout", include_in_schema=False, dependencies=[require("read")])
    async def sign_out(request: Request) -> Response:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            await sessions.close(session_id)
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    return router
