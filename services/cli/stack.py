"""The whole system as separate processes: embedded servers (unless given) and four services."""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from services.cli.data_lock import hold_data_dir
from services.cli.embedded import EmbeddedServer, start_mongo, start_nats
from services.cli.processes import ChildProcess, stop_all
from services.cli.token_commands import STACK_FILE, admin_token_path, ensure_token, registry
from shared.server import port_is_free
from shared.standard_webhooks import SECRET_PREFIX

SERVICES = ("ingest", "scheduler", "feedback", "notifier")
DEFAULT_PORTS = {"ingest": 8080, "scheduler": 8081, "feedback": 8082, "notifier": 8083}
ANY_FREE_PORTS = dict.fromkeys(SERVICES, 0)
# Whose HTTP API each service reads: its URL setting -> (the service read, its token setting).
READS = {
    "scheduler": {"SCHEDULER_FEEDBACK_URL": ("feedback", "SCHEDULER_FEEDBACK_TOKEN")},
    "notifier": {"NOTIFIER_SCHEDULER_URL": ("scheduler", "NOTIFIER_SCHEDULER_TOKEN")},
}
READERS = tuple(READS)
# Whose page a service links people to: its URL setting -> the service that serves the page.
LINKS = {"notifier": {"NOTIFIER_DASHBOARD_URL": "scheduler"}}
START_ORDER = (("ingest", "feedback"), ("scheduler",), ("notifier",))


class PortInUse(Exception):
    pass


@dataclass
class Stack:
    data_dir: Path
    nats_url: str
    mongodb_url: str
    urls: dict[str, str]
    children: list[ChildProcess] = field(default_factory=list)
    # The first admin token (also in ``admin_token_path``, mode 0600): for the CLI and tests.
    admin_token: str = ""
    # Held while the stack runs: one stack per data directory (``hold_data_dir``).
    lock: TextIO | None = None

    @property
    def admin_token_path(self) -> Path:
        return admin_token_path(self.data_dir)

    @property
    def auth(self) -> dict[str, str]:
        """Headers for calling the stack's APIs as its admin."""
        return {"Authorization": f"Bearer {self.admin_token}"}

    def stop(self) -> None:
        stop_all(self.children)
        if self.lock is not None:
            self.lock.close()
            self.lock = None

    def child(self, name: str) -> ChildProcess:
        return next(c for c in self.children if c.name == name)


def ensure_tokens(stack: Stack, database: str) -> dict[str, str]:
    """The admin token, and a ``read`` token for each service that reads another's API: the
    scheduler's item page reads feedback's, the notifier fetches the scheduler's report."""
    tokens = registry(stack.mongodb_url, database)
    stack.admin_token = ensure_token(tokens, stack.admin_token_path, "admin", "admin")
    return {
        name: ensure_token(tokens, stack.data_dir / "secrets" / f"{name}-token", name, "read")
        for name in READERS
    }


def dev_secret(data_dir: Path, name: str) -> str:
    """A per-data-dir secret for local runs, so `up` and `demo` agree without configuration."""
    path = data_dir / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(24))
        path.chmod(0o600)
    return path.read_text().strip()


def standard_dev_secret(data_dir: Path) -> str:
    """The Standard Webhooks form (``whsec_`` + base64) of this data dir's dev secret."""
    raw = bytes.fromhex(dev_secret(data_dir, "standard"))
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def service_env(
    base: Mapping[str, str], stack: Stack, ports: Mapping[str, int], host: str
) -> dict[str, str]:
    env = dict(base)
    env.setdefault("INGEST_GITHUB_SECRET", dev_secret(stack.data_dir, "github"))
    env.setdefault("INGEST_STANDARD_SECRET", standard_dev_secret(stack.data_dir))
    env["NATS_URL"] = stack.nats_url
    env["MONGODB_URL"] = stack.mongodb_url
    for name, port in ports.items():
        env[f"{name.upper()}_PORT"] = str(port)
        env[f"{name.upper()}_HOST"] = host
        env[f"{name.upper()}_PORT_FILE"] = str(port_file(stack.data_dir, name))
    return env


def port_file(data_dir: Path, name: str) -> Path:
    """Where a service started on port 0 writes the port it bound."""
    return data_dir / "run" / f"{name}.port"


def wait_for_port_file(path: Path, child: ChildProcess, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.exited():
            tail = child.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{child.name} exited during start-up:\n{tail}")
        if path.exists():
            return int(path.read_text())
        time.sleep(0.05)
    raise TimeoutError(f"{child.name} bound no port within {timeout:.0f}s")


def wait_ready(url: str, child: ChildProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.exited():
            tail = child.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{child.name} exited during start-up:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{child.name} not ready at {url} after {timeout:.0f}s")


def start_stack(
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    ports: Mapping[str, int] | None = None,
    host: str = "127.0.0.1",
) -> Stack:
    """Start the stack; a port of 0 lets that service bind any free port (see ``Stack.urls``)."""
    env = dict(os.environ if env is None else env)
    ports = dict(ports or DEFAULT_PORTS)
    # Before the ports: another stack on this directory holds them too, and "port in use"
    # would send its owner looking for the wrong culprit.
    lock = hold_data_dir(data_dir)
    children: list[ChildProcess] = []
    # Every child holds the lock too: the directory stays taken until the last of them has
    # stopped, even when ``up`` itself was killed and its children are still closing files.
    shared = (lock.fileno(),)
    try:
        for name, port in ports.items():
            if port and not port_is_free(host, port):
                raise PortInUse(
                    f"port {port} for {name} is already in use on {host}; "
                    f"set {name.upper()}_PORT or pass --{name}-port"
                )
        nats_url = env.get("NATS_URL") or _started(
            start_nats(data_dir, shared_fds=shared), children
        )
        mongodb_url = env.get("MONGODB_URL") or _started(
            start_mongo(data_dir, shared_fds=shared), children
        )
        stack = Stack(data_dir, nats_url, mongodb_url, {}, children, lock=lock)
        tokens = ensure_tokens(stack, env.get("MONGODB_DATABASE", "slipstream"))
        for name in SERVICES:
            port_file(data_dir, name).unlink(missing_ok=True)
        started: dict[str, ChildProcess] = {}
        bound: dict[str, int] = {}
        # A service that reads another's API starts once that one's port is known.
        for phase in START_ORDER:
            for name in phase:
                child_env = service_env(env, stack, ports, host)
                for setting, (service, token) in READS.get(name, {}).items():
                    child_env[setting] = f"http://{host}:{bound[service]}"
                    child_env.setdefault(token, tokens[name])
                for setting, service in LINKS.get(name, {}).items():
                    child_env.setdefault(setting, f"http://{host}:{bound[service]}/")
                started[name] = _start_service(name, child_env, data_dir, shared)
                children.append(started[name])
            for name in phase:
                bound[name] = _bound_port(started[name], ports[name], data_dir)
        for name in SERVICES:
            stack.urls[name] = f"http://{host}:{bound[name]}"
            wait_ready(stack.urls[name], started[name], timeout=60)
        where = {"nats_url": nats_url, "mongodb_url": mongodb_url, "urls": stack.urls}
        (data_dir / STACK_FILE).write_text(json.dumps(where, indent=2) + "\n")
    except BaseException:
        stop_all(children)
        lock.close()
        raise
    return stack


def _start_service(
    name: str, env: dict[str, str], data_dir: Path, shared_fds: tuple[int, ...]
) -> ChildProcess:
    log = data_dir / "logs" / f"{name}.log"
    command = [sys.executable, "-m", f"services.{name}"]
    return ChildProcess.start(name, command, log, env, shared_fds)


def _bound_port(child: ChildProcess, asked: int, data_dir: Path) -> int:
    bound = asked or wait_for_port_file(port_file(data_dir, child.name), child, timeout=60)
    # A restart must come back where clients already point, not on another free port.
    if child.env is not None:
        child.env[f"{child.name.upper()}_PORT"] = str(bound)
    return bound


def _started(server: EmbeddedServer, children: list[ChildProcess]) -> str:
    children.append(server.process)
    return server.url
