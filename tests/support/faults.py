"""One supervised stack per fault run, the faults themselves, and the run's verdict.

The stack is started as ``slipstream up`` starts it and watched by the same ``Supervisor``
(on a thread here), so a child killed with ``-9`` is brought back by the code under test.
Notifications land at a local receiver; a notification counts once per ``webhook-id`` (the
Standard Webhooks idempotency key a receiver dedupes on), so "doubled" means one item told
about twice under two different ids.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats

from services.cli.stack import ANY_FREE_PORTS, Stack, start_stack
from services.cli.supervisor import Backoff, Supervisor
from tests.support.load import Load, risk_item_ids, settled
from tests.support.receivers import Sink, http_sink
from tests.support.streams import read_stream

SECRET = "fault-github-secret"
NOTIFY_SECRET = "whsec_ZmF1bHQtbm90aWZpZXItc2VjcmV0LWtleQ=="
SETTLE_SECONDS = 90.0


@dataclass
class FaultRun:
    stack: Stack
    sink: Sink
    supervisor: Supervisor
    said: list[str] = field(default_factory=list)

    def load(self, repo: str, count: int, rate: float = 20.0) -> Load:
        return Load(self.stack.urls["ingest"], SECRET, repo, count, rate)

    def kill(self, name: str) -> int:
        """``kill -9`` the named child; the supervisor notices and starts it again."""
        pid = self.stack.child(name).popen.pid
        os.kill(pid, signal.SIGKILL)
        return pid

    def pause(self, name: str, seconds: float) -> None:
        """SIGSTOP the named child for ``seconds``: alive, holding its port, answering nothing."""
        child = self.stack.child(name)
        child.popen.send_signal(signal.SIGSTOP)
        try:
            threading.Event().wait(seconds)
        finally:
            child.popen.send_signal(signal.SIGCONT)

    def notified(self) -> dict[str, set[str]]:
        """item id → the distinct webhook-ids it was notified under."""
        found: dict[str, set[str]] = {}
        for request in self.sink.snapshot():
            item = json.loads(request.body)["data"]["item_id"]
            found.setdefault(item, set()).add(request.headers["webhook-id"])
        return found

    def all_ready(self) -> bool:
        return all(
            httpx.get(f"{url}/readyz", timeout=2).status_code == 200
            for url in self.stack.urls.values()
        )

    def verdict(self, load: Load, label: str) -> dict[str, int]:
        """Wait for the pipeline to settle, print the counts, and return them."""
        prefix = f"github:{load.repo}#"

        def projected() -> set[str]:
            assessed = risk_item_ids(self.stack.urls["scheduler"], self.stack.auth)
            return {i for i in assessed if i.startswith(prefix)}

        def told() -> dict[str, set[str]]:
            return {i: ids for i, ids in self.notified().items() if i.startswith(prefix)}

        def complete() -> bool:
            return load.accepted <= projected() and load.accepted <= set(told())

        settled(complete, SETTLE_SECONDS)
        ready = settled(self.all_ready, SETTLE_SECONDS)
        seen, notifications = projected(), told()
        counts = {
            "sent": load.sent,
            "attempts": load.attempts,
            "accepted": len(load.accepted),
            "projected": len(seen & load.accepted),
            "notified": len(notifications),
            "lost": len(load.accepted - seen),
            "unnotified": len(load.accepted - set(notifications)),
            "doubled": sum(1 for ids in notifications.values() if len(ids) > 1),
            "restarts": sum(self.supervisor.restarts.values()),
            "ready": int(ready),
        }
        print(f"\n[{label}] " + " ".join(f"{k}={v}" for k, v in counts.items()), load.answers)
        for line in self.said:
            print(f"[{label}] supervisor: {line}")
        return counts


def assert_whole(counts: dict[str, int]) -> None:
    """Every delivery accepted, projected and told exactly once; every service ready again."""
    assert counts["accepted"] == counts["sent"]
    assert counts["lost"] == 0
    assert counts["unnotified"] == 0
    assert counts["doubled"] == 0
    assert counts["ready"] == 1


@contextmanager
def fault_run(data_dir: Path, **extra_env: str) -> Iterator[FaultRun]:
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URL")}
    with http_sink() as sink:
        env.update(
            {
                "INGEST_GITHUB_SECRET": SECRET,
                "NOTIFIER_WEBHOOK_URL": f"{sink.url}/hooks/risk",
                "NOTIFIER_WEBHOOK_SECRET": NOTIFY_SECRET,
                "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600",
                **extra_env,
            }
        )
        stack = start_stack(data_dir, env=env, ports=ANY_FREE_PORTS)
        said: list[str] = []
        supervisor = Supervisor(stack.children, said.append, Backoff(first=0.2, longest=2.0))
        stopping = threading.Event()
        watcher = threading.Thread(target=supervisor.run, args=(stopping,), daemon=True)
        watcher.start()
        try:
            yield FaultRun(stack, sink, supervisor, said)
        finally:
            stopping.set()
            watcher.join()
            stack.stop()


def publish_poison(nats_url: str, subject: str, body: bytes) -> None:
    """Put a message no consumer can decode straight onto a stream, as a broken producer would."""

    async def publish() -> None:
        client = await nats.connect(nats_url)
        try:
            await client.jetstream().publish(subject, body)
        finally:
            await client.close()

    asyncio.run(publish())


def dead_letters(nats_url: str, consumer: str) -> list[dict[str, str]]:
    """Headers of what ``consumer`` dead-lettered (reason, original subject), oldest first."""
    messages = asyncio.run(read_stream(nats_url, f"deadletter.{consumer}"))
    return [dict(m.headers or {}) | {"body": m.data.decode(errors="replace")} for m in messages]


def child_pid(parent: int, command_part: str) -> int:
    """The pid of ``parent``'s child whose command line contains ``command_part``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and command_part in cmdline:
            return int(entry.name)
    raise LookupError(f"no child of {parent} runs {command_part!r}")


@dataclass
class Lines:
    """A process's output read on a thread, so a test can wait for a line without blocking."""

    seen: list[str] = field(default_factory=list)

    def follow(self, stream: Iterator[str]) -> Lines:
        def read() -> None:
            for line in stream:
                self.seen.append(line.rstrip())

        threading.Thread(target=read, daemon=True).start()
        return self

    def having(self, *parts: str) -> str | None:
        return next((line for line in self.seen if all(p in line for p in parts)), None)
