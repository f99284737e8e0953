"""Real receivers for the notifier's channels: a Slack stand-in and an SMTP server.

The Slack stand-in checks what Slack checks before accepting an incoming-webhook message
(block types, at most 50 blocks, section text up to 3000 characters, header up to 150) and can
be told to answer the next requests 429 with a ``Retry-After``, as Slack does at ~1 msg/s.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

BLOCK_TYPES = {"header", "section", "context", "divider", "actions"}


def block_kit_errors(message: dict[str, Any]) -> list[str]:
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return ["no blocks"]
    errors = [] if len(blocks) <= 50 else [f"{len(blocks)} blocks > 50"]
    for block in blocks:
        kind = block.get("type")
        text = (block.get("text") or {}).get("text", "")
        if kind not in BLOCK_TYPES:
            errors.append(f"unknown block type {kind!r}")
        if kind == "section" and not 0 < len(text) <= 3000:
            errors.append(f"section text of {len(text)} characters")
        if kind == "header" and (block["text"].get("type") != "plain_text" or len(text) > 150):
            errors.append("header must be plain_text up to 150 characters")
        if kind == "context" and not 0 < len(block.get("elements", [])) <= 10:
            errors.append("context needs 1 to 10 elements")
    return errors


@dataclass
class SlackStandIn:
    url: str = ""
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[list[str]] = field(default_factory=list)
    throttled: list[str] = field(default_factory=list)
    rate_limited: int = 0
    retry_after: str = "1"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rate_limit_next(self, count: int, retry_after: str) -> None:
        with self.lock:
            self.rate_limited, self.retry_after = count, retry_after

    def answer(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            if self.rate_limited > 0:
                self.rate_limited -= 1
                self.throttled.append(self.retry_after)
                return 429, {"retry-after": self.retry_after}, b"rate_limited"
            errors = block_kit_errors(json.loads(body))
            if errors:
                self.rejected.append(errors)
                return 400, {}, b"invalid_blocks"
            self.accepted.append(json.loads(body))
            return 200, {}, b"ok"


@contextmanager
def slack_stand_in() -> Iterator[SlackStandIn]:
    slack = SlackStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status, headers, reply = slack.answer(body)
            self.send_response(status)
            for name, value in {**headers, "content-length": str(len(reply))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    slack.url = f"http://127.0.0.1:{server.server_address[1]}/services/T/B/x"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield slack
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    url: str = ""
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    with socket.socket() as probe:  # aiosmtpd checks readiness by connecting to its port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield mailbox
    finally:
        controller.stop()
