"""A vendor at a steady rate: signed GitHub deliveries, each retried until accepted.

Each delivery opens its own issue in a milestone that is already overdue, so every accepted
delivery should end as one off-track item on the scheduler and one risk notification at the
receiver. A vendor retries a 503, a 5xx or a refused connection with the *same* delivery id
(the body and headers are signed once and resent byte for byte), which ingest deduplicates.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx

from services.cli.demo import GitHubDelivery, issue, milestone, repository

RETRY_AFTER_SECONDS = 0.25


def overdue_issue(repo: str, number: int, title: str, now: datetime) -> GitHubDelivery:
    due = milestone(repo, 1, "Overdue", date.today() - timedelta(days=3), now)
    body = {
        "action": "opened",
        "issue": issue(repo, number, title, now, due),
        "repository": repository(repo),
    }
    return GitHubDelivery("issues", body)


def item_id(repo: str, number: int) -> str:
    return f"github:{repo}#{number}"


@dataclass
class _Pending:
    item: str
    body: bytes
    headers: dict[str, str]
    due: float = 0.0
    attempts: int = 0


@dataclass
class Load:
    """Send ``count`` deliveries at ``rate`` per second from a thread; retry until accepted."""

    ingest_url: str
    secret: str
    repo: str
    count: int
    rate: float = 20.0
    give_up_after: float = 120.0
    sent: int = 0
    attempts: int = 0
    accepted: set[str] = field(default_factory=set)
    # What was sent for each item, signed: a resend is byte for byte what the vendor sent.
    signed: dict[str, tuple[bytes, dict[str, str]]] = field(default_factory=dict)
    answers: dict[int | str, int] = field(default_factory=dict)
    _thread: threading.Thread | None = None

    def start(self) -> Load:
        self._thread = threading.Thread(target=self._run, name=f"load-{self.repo}", daemon=True)
        self._thread.start()
        return self

    def wait(self) -> None:
        assert self._thread is not None
        self._thread.join()

    def wait_for_sent(self, count: int, timeout: float = 60.0) -> None:
        """Block until ``count`` deliveries have gone out (for a fault "mid-load")."""
        deadline = time.monotonic() + timeout
        while self.sent < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def _run(self) -> None:
        started = time.monotonic()
        pending: list[_Pending] = []
        now = datetime.now(UTC).replace(microsecond=0)
        with httpx.Client(timeout=5.0) as client:
            while self.sent < self.count or pending:
                if time.monotonic() - started > self.give_up_after:
                    return
                if self.sent < self.count and time.monotonic() >= started + self.sent / self.rate:
                    self.sent += 1
                    delivery = overdue_issue(self.repo, self.sent, f"load {self.sent}", now)
                    body, headers = delivery.signed(self.secret)
                    self.signed[item_id(self.repo, self.sent)] = (body, headers)
                    pending.append(_Pending(item_id(self.repo, self.sent), body, headers))
                for waiting in [p for p in pending if p.due <= time.monotonic()]:
                    if self._try(client, waiting):
                        pending.remove(waiting)
                time.sleep(0.005)

    def _try(self, client: httpx.Client, waiting: _Pending) -> bool:
        self.attempts += 1
        waiting.attempts += 1
        try:
            status: int | str = client.post(
                f"{self.ingest_url}/webhooks/github", content=waiting.body, headers=waiting.headers
            ).status_code
        except httpx.TransportError as exc:
            status = type(exc).__name__
        self.answers[status] = self.answers.get(status, 0) + 1
        if status == 202:
            self.accepted.add(waiting.item)
            return True
        if isinstance(status, int) and 400 <= status < 500:
            raise AssertionError(f"{waiting.item} refused with {status}: not a retryable fault")
        waiting.due = time.monotonic() + RETRY_AFTER_SECONDS
        return False


def post_github(ingest_url: str, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(
        f"{ingest_url}/webhooks/github", content=body, headers=headers, timeout=5.0
    ).status_code


def risk_item_ids(scheduler_url: str, auth: dict[str, str]) -> set[str]:
    """Every item the scheduler has assessed (one page is enough for a fault run's few hundred)."""
    response = httpx.get(f"{scheduler_url}/risk", params={"limit": 5000}, headers=auth, timeout=5.0)
    response.raise_for_status()
    return {row["item_id"] for row in response.json()}


def settled(probe: Callable[[], bool], timeout: float) -> bool:
    """Poll ``probe`` (which may fail while the system recovers) until it holds or time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe():
                return True
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.5)
    return False
