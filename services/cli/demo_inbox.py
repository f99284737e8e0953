"""The demo's stand-in for an owner's webhook: what the notifier sends, checked and printed.

``slipstream up --demo`` without ``NOTIFIER_WEBHOOK_URL`` points the notifier here, so the
first run shows the whole promise (a delivery slips, its owner is told, once, signed) instead
of stopping at the risk table. The inbox verifies each delivery's Standard Webhooks signature
and timestamp as a receiver should, and prints the change as the email digest words it.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import ValidationError

from services.ingest.domain.model import Delivery, VerificationFailed
from services.ingest.domain.standard import StandardParser
from services.notifier.domain.email_message import plain_item
from services.notifier.domain.event_changes import change_from_risk
from services.notifier.domain.message_content import summarise
from shared.events import RiskChangedV1
from shared.standard_webhooks import SECRET_PREFIX

PATH = "/demo-inbox"
LARGEST_BODY = 1 << 20


def demo_secret() -> str:
    """A fresh ``whsec_`` secret for one run: nothing outside this process needs it."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def described(payload: dict[str, Any], dashboard: str | None = None) -> str:
    """What a delivered ``risk.changed`` body says, in the email digest's words (with the
    link to the item's explanation a digest carries, when the dashboard is known)."""
    if payload.get("type") != "risk.changed":
        return f"a {payload.get('type')!r} message"
    change = change_from_risk(RiskChangedV1.model_validate(payload["data"]))
    return plain_item(summarise(change, dashboard))


def verdict(secret: str, headers: dict[str, str], body: bytes, now: datetime) -> str | None:
    """Why a delivery is refused, or None when it is genuine: checked by ingest's own
    Standard Webhooks verifier, as any receiver of ours would check it."""
    delivery = Delivery("standard", headers, body, now)
    try:
        StandardParser().verify(delivery, [secret], now)
    except VerificationFailed as exc:
        return exc.reason
    return None


class DemoInbox:
    """A local HTTP receiver in a background thread; ``say`` gets one text per delivery."""

    def __init__(self, secret: str, say: Callable[[str], None]) -> None:
        self.secret = secret
        self.say = say
        # The dashboard its messages link to; known once the stack is up (``up`` sets it).
        self.dashboard: str | None = None
        self.received: list[dict[str, Any]] = []
        self._arrived = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-inbox")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{PATH}"

    def __enter__(self) -> DemoInbox:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def wait_for(self, count: int, timeout: float) -> bool:
        """True once ``count`` genuine deliveries arrived, False if ``timeout`` passed first."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.received) >= count, timeout)

    def accept(self, headers: dict[str, str], body: bytes) -> HTTPStatus:
        refused = verdict(self.secret, headers, body, datetime.now(UTC))
        if refused is not None:
            self.say(f"demo inbox refused a delivery: {refused}")
            return HTTPStatus.UNAUTHORIZED
        try:
            payload = json.loads(body)
            text = described(payload, self.dashboard)
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            self.say(f"demo inbox could not read a delivery: {exc}")
            return HTTPStatus.BAD_REQUEST
        # One call: the risk table, printed meanwhile, must not land inside the message.
        heard = f"the owner's webhook received (signature verified, id {headers['webhook-id']}):"
        self.say(f"{heard}\n{text}")
        with self._arrived:
            self.received.append(payload)
            self._arrived.notify_all()
        return HTTPStatus.NO_CONTENT

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.send_response(self._answer())
                self.end_headers()

            def _answer(self) -> HTTPStatus:
                if self.path != PATH:
                    return HTTPStatus.NOT_FOUND
                length = self.headers.get("content-length", "")
                if not length.isdigit():
                    return HTTPStatus.LENGTH_REQUIRED
                if int(length) > LARGEST_BODY:
                    return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
                body = self.rfile.read(int(length))
                return inbox.accept({k.lower(): v for k, v in self.headers.items()}, body)

            def log_message(self, *_: object) -> None:
                """Quiet: the inbox says what arrived, not each request line."""

        return Handler
