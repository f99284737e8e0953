"""`slipstream up` as a person runs it: start, serve, Ctrl-C, start again on the same data."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest

from services.cli.demo import scenario
from services.cli.embedded import free_port
from services.cli.stack import ANY_FREE_PORTS, SERVICES

pytestmark = pytest.mark.e2e

SECRET = "cli-up-secret"


def up_env(ports: dict[str, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URL")}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env["INGEST_GITHUB_SECRET"] = SECRET
    return env


def start_up(data_dir: Path, env: dict[str, str], *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "up", "--data-dir", str(data_dir), *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_banner(process: subprocess.Popen[str]) -> list[str]:
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip())
        if "Ctrl-C stops everything" in line:
            return lines
    raise AssertionError("slipstream up ended before it was ready:\n" + "\n".join(lines))


def processes_using(path: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if str(path).encode() in cmdline:
                found.append(int(entry.name))
    return found


@pytest.fixture
def ports() -> dict[str, int]:
    return {name: free_port() for name in SERVICES}


def printed_urls(banner: list[str]) -> dict[str, str]:
    """``name  url`` lines of the banner, by name."""
    return dict(line.split(maxsplit=1) for line in banner if " http://" in line)


def test_ctrl_c_stops_every_child_and_the_data_survives_a_restart(tmp_path: Path) -> None:
    # Port 0: each service binds a free port itself and `up` prints the one it got.
    env = up_env(ANY_FREE_PORTS)
    first = start_up(tmp_path, env)
    banner = wait_for_banner(first)
    urls = printed_urls(banner)
    assert set(SERVICES) <= set(urls)
    assert all(not url.endswith(":0") for url in urls.values())
    assert urls["dashboard"] == urls["scheduler"] + "/"
    token_file = tmp_path / "secrets" / "admin-token"
    assert f"admin token in {token_file.resolve()} (sign in with it)" in banner
    assert token_file.stat().st_mode & 0o777 == 0o600
    auth = {"Authorization": f"Bearer {token_file.read_text().strip()}"}
    ingest = urls["ingest"]
    for delivery in scenario(date.today())[:1]:
        body, headers = delivery.signed(SECRET)
        assert (
            httpx.post(f"{ingest}/webhooks/github", content=body, headers=headers).status_code
            == 202
        )
    scheduler = urls["scheduler"]
    deadline = time.monotonic() + 30
    assert httpx.get(f"{scheduler}/risk").status_code == 401
    while not httpx.get(f"{scheduler}/risk", headers=auth).json() and time.monotonic() < deadline:
        time.sleep(0.2)

    # The supervisor's restart counts are a Prometheus textfile from the start: zeros now.
    counts = (tmp_path / "metrics" / "supervisor.prom").read_text()
    assert 'slipstream_restarts_total{process="scheduler"} 0.0' in counts

    # A second `up` on the same data says who holds it, in one line, and leaves it serving.
    again = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "up", "--data-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 2
    refused = again.stderr.strip()
    assert refused == (
        f"error: {tmp_path.resolve()} is in use by another slipstream up (pid {first.pid}); "
        "stop it or pass another --data-dir"
    )
    assert httpx.get(f"{scheduler}/risk", headers=auth).status_code == 200

    first.send_signal(signal.SIGINT)
    assert first.wait(timeout=60) == 0
    assert processes_using(tmp_path) == []

    second = start_up(tmp_path, env)
    try:
        scheduler = printed_urls(wait_for_banner(second))["scheduler"]
        assert token_file.read_text().strip() == auth["Authorization"].removeprefix("Bearer ")
        rows = httpx.get(f"{scheduler}/risk", headers=auth).json()
        assert [row["item_id"] for row in rows] == ["github:acme/web#7"]
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=60)


def lines_until(process: subprocess.Popen[str], *starts: str) -> list[str]:
    """What ``process`` prints until a line starting with each of ``starts`` has appeared."""
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip())
        if all(any(seen.startswith(start) for seen in lines) for start in starts):
            return lines
    raise AssertionError("slipstream up ended early:\n" + "\n".join(lines))


RECEIVED, NOTHING = "the owner's webhook received (", "the owner's webhook received nothing"


def test_the_demo_tells_the_owner_once_signed_and_a_second_run_tells_nobody(
    tmp_path: Path,
) -> None:
    # No NOTIFIER_WEBHOOK_URL: `up --demo` brings its own receiver, which checks signatures.
    env = {k: v for k, v in up_env(ANY_FREE_PORTS).items() if not k.startswith("NOTIFIER_")}
    first = start_up(tmp_path, env, "--demo")
    try:
        banner = wait_for_banner(first)
        assert printed_urls(banner)["inbox"].endswith("/demo-inbox")
        # The table's last row and the message's last line, in whichever order they come.
        printed = lines_until(
            first, "github:acme/api#43", "  https://github.com/acme/web/", "  why, in Slipstream: "
        )
        told = [n for n, line in enumerate(printed) if line.startswith(RECEIVED)]
        assert len(told) == 1, printed
        assert "signature verified" in printed[told[0]]
        # Up to its link: a why line per reason, and the release's reason may be one more.
        rest = printed[told[0] + 1 :]
        message = rest[: next(n for n, line in enumerate(rest) if line.startswith("  https://"))]
        assert message[0] == "- Checkout redesign is off track (github:acme/web#7)"
        # Each id the engine names is told with its title, as the scheduler knew it.
        chain = "Checkout redesign (github:acme/web#7) -> Ledger migration (github:acme/api#42)"
        assert f"  critical chain: {chain}" in message
        assert any(
            line.startswith("  why: Ledger migration (github:acme/api#42) is forecast to finish")
            for line in message
        ), message
        # As a digest would, the inbox links to the checkout's explanation on the dashboard.
        explained = f"{printed_urls(banner)['dashboard']}#/item/github%3Aacme%2Fweb%237"
        assert f"  why, in Slipstream: {explained}" in rest, rest
        # The customers asked before the checkout was blocked, so its message names them.
        assert "  3 customers from 2 organisations are waiting on it" in message
        assert not any("refused" in line for line in printed)
    finally:
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=60) == 0

    second = start_up(tmp_path, env, "--demo")
    try:
        wait_for_banner(second)
        printed = lines_until(second, "github:acme/api#43", "the owner's webhook received")
        assert printed[-1] == NOTHING + ": this data has seen the demo"
    finally:
        second.send_signal(signal.SIGINT)
        assert second.wait(timeout=60) == 0
    assert processes_using(tmp_path) == []


def test_port_in_use_is_one_line_naming_the_port_and_the_setting(
    tmp_path: Path, ports: dict[str, int]
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["scheduler"]))
        squatter.listen()
        result = subprocess.run(
            [sys.executable, "-m", "services.cli.main", "up", "--data-dir", str(tmp_path)],
            env=up_env(ports),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    message = result.stderr.strip()
    assert "\n" not in message
    assert str(ports["scheduler"]) in message
    assert "SCHEDULER_PORT" in message
