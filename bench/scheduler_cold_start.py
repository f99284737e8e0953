"""Scheduler start-up over a large portfolio: first start, then a restart.

Seeds N items and 3N dependency edges through the scheduler's own projection code on the
embedded NATS and MongoDB-wire servers, then starts the scheduler process twice: the first
start has no stored assessments (it announces and stores every one), the restart finds them.
For each start it prints seconds to the first ``/healthz`` answer, to ``/risk`` data and to
``/readyz`` 200 (which, for a leader, means reconciled and consuming), the slowest
``/healthz`` answer seen meanwhile (how long the event loop stalled) and the peak RSS.

Run: ``python -m bench.scheduler_cold_start [--items 20000,100000] [--keep DIR]``. With
``--keep`` the seeded servers' data stays in ``DIR/N``, and a later run over the same ``DIR``
skips the minutes of seeding and measures restarts only (its assessments are stored already),
or, with ``--first-start`` too, forgets all the scheduler made of the seed (every collection
but the projections, and the NATS store) and measures a first start and a restart again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database

from bench.cold_start_seed import TEAMS, seed
from services.cli.embedded import free_port, start_mongo, start_nats
from services.cli.processes import ChildProcess, stop_all
from services.cli.token_commands import registry
from services.scheduler.projections import MongoWorkStore


@dataclass
class Start:
    healthz: float | None = None
    risk: float | None = None
    ready: float | None = None
    slowest_health: float = 0.0
    peak_rss_mb: float = 0.0
    risk_page: float | None = None
    team_page: float | None = None


def get(url: str, token: str = "") -> tuple[int, bytes]:
    # The read APIs want a bearer token (``read``); health and readiness answer anyone.
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=30
        ) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except OSError:
        return 0, b""


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def watch(base: str, child: ChildProcess, timeout: float, token: str) -> Start:
    """Poll until ready (or timeout), noting when each endpoint first answered."""
    start, began = Start(), time.monotonic()
    while time.monotonic() - began < timeout and start.ready is None:
        if child.exited():
            raise RuntimeError(f"scheduler exited: see {child.log_path}")
        asked = time.monotonic()
        status, _ = get(f"{base}/healthz")
        answered = time.monotonic()
        if status == 200:
            start.healthz = start.healthz or answered - began
            start.slowest_health = max(start.slowest_health, answered - asked)
        if start.risk is None and get(f"{base}/risk?limit=5", token)[1].startswith(b"[{"):
            start.risk = time.monotonic() - began
        if get(f"{base}/readyz")[0] == 200:
            start.ready = time.monotonic() - began
        start.peak_rss_mb = peak_rss_mb(child.popen.pid)
        time.sleep(0.05)
    if start.ready is not None:
        start.risk_page = median_seconds(f"{base}/risk?limit=5", token)
        start.team_page = median_seconds(f"{base}/risk?team={TEAMS[0]}&limit=50", token)
    return start


def median_seconds(url: str, token: str, times: int = 5) -> float:
    """The median answer time of ``url`` on a settled service (the first page of /risk)."""
    took = []
    for _ in range(times):
        began = time.monotonic()
        get(url, token)
        took.append(time.monotonic() - began)
    return statistics.median(took)


def run_scheduler(env: dict[str, str], log: Path, timeout: float, token: str) -> Start:
    port = free_port()
    env = {**env, "SCHEDULER_PORT": str(port)}
    command = [sys.executable, "-m", "services.scheduler"]
    child = ChildProcess.start("scheduler", command, log, env)
    try:
        return watch(f"http://127.0.0.1:{port}", child, timeout, token)
    finally:
        child.stop()


def figure(value: float | None) -> str:
    return "   never" if value is None else f"{value:7.2f}s"


def milliseconds(value: float | None) -> str:
    return "never" if value is None else f"{value * 1000:.1f} ms"


def report(items: int, phase: str, start: Start) -> None:
    print(
        f"{items:>7} items {phase:<11} healthz {figure(start.healthz)}  risk {figure(start.risk)}"
        f"  ready+consuming {figure(start.ready)}  slowest healthz {start.slowest_health:5.2f}s"
        f"  peak RSS {start.peak_rss_mb:6.0f} MB"
        f"  then /risk?limit=5 median {milliseconds(start.risk_page)},"
        f" ?team=…&limit=50 {milliseconds(start.team_page)}",
        flush=True,
    )


def forget_derived(mongodb_url: str, database: str) -> list[str]:
    """Drop every collection but the seeded projections: what a first start finds."""
    client: MongoClient[dict[str, Any]]
    with MongoClient(mongodb_url) as client:
        db: Database[dict[str, Any]] = client[database]
        dropped = sorted(set(db.list_collection_names()) - set(MongoWorkStore.COLLECTIONS))
        for name in dropped:
            db.drop_collection(name)
    return dropped


def measure(
    items: int, timeout: float, log_dir: Path | None, keep: Path | None, first_start: bool
) -> dict[str, Start]:
    with tempfile.TemporaryDirectory(prefix="bench-cold-start-") as tmp:
        data = Path(tmp) if keep is None else keep / str(items)
        seeded_marker = data / "seeded"
        reused = seeded_marker.exists()
        forget = reused and first_start
        data.mkdir(parents=True, exist_ok=True)
        if forget:
            # The RISK stream's earlier announcements would be duplicates of the first start's.
            shutil.rmtree(data / "nats", ignore_errors=True)
        servers = [start_nats(data), start_mongo(data)]
        try:
            env = {k: v for k, v in os.environ.items() if k != "OTEL_EXPORTER_OTLP_ENDPOINT"}
            env.update(
                NATS_URL=servers[0].url,
                MONGODB_URL=servers[1].url,
                SLIPSTREAM_LOG_JSON="false" if log_dir is None else "true",
                LOG_LEVEL="WARNING" if log_dir is None else "INFO",
            )
            logs = data if log_dir is None else log_dir
            if reused:
                print(f"{items:>7} items and {3 * items} edges as seeded in {data}")
                if forget:
                    dropped = forget_derived(servers[1].url, "slipstream")
                    print(f"{items:>7} items: forgot {', '.join(dropped)} and the NATS store")
            else:
                began = time.monotonic()
                asyncio.run(seed(servers[1].url, "slipstream", items, 3 * items))
                seeded = time.monotonic() - began
                print(f"{items:>7} items seeded with {3 * items} edges in {seeded:.0f}s")
            # A token per run: a kept store holds the earlier runs' tokens.
            token = registry(servers[1].url, "slipstream").create(
                f"bench-{os.getpid()}", "read", datetime.now(UTC)
            )
            results = {}
            # A reused store has its assessments (unless forgotten): its starts are restarts.
            phases = (
                ("restart", "restart again")
                if reused and not forget
                else ("first start", "restart")
            )
            for phase in phases:
                results[phase] = run_scheduler(
                    env, logs / f"scheduler-{items}-{phase}.log", timeout, token
                )
                report(items, phase, results[phase])
                seeded_marker.touch()
            return results
        finally:
            stop_all([server.process for server in servers])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", default="20000,100000", help="comma-separated sizes")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per start")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--log-dir", type=Path, help="keep the scheduler's JSON logs (INFO) here, to see phases"
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the seeded data in DIR/N; reuse it when already there"
    )
    parser.add_argument(
        "--first-start",
        action="store_true",
        help="with --keep over a seeded DIR: forget what the scheduler stored, start afresh",
    )
    args = parser.parse_args()
    if args.log_dir is not None:
        args.log_dir.mkdir(parents=True, exist_ok=True)
    figures = {}
    for items in (int(size) for size in args.items.split(",")):
        figures[items] = measure(items, args.timeout, args.log_dir, args.keep, args.first_start)
    if args.json:
        print(json.dumps({n: {p: vars(s) for p, s in r.items()} for n, r in figures.items()}))


if __name__ == "__main__":
    main()
