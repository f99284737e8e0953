"""Ingest throughput against the bare baseline, both on durable NATS (sync_interval: always).

Each run gets a fresh embedded nats-server with the product's config, one uvicorn worker
(uvloop, httptools) in a subprocess, and the load generator in another process sending signed
~2 KB GitHub ``issues`` deliveries over 64 keep-alive connections. Rounds interleave the two
apps (alternating which goes first) because a 2-core machine is noisy; medians are quoted.
Ingest runs as it ships, normaliser included, so the canonical events it publishes after the
202 compete for the same CPU and disk; the backlog it has left when the load stops is printed.
``INGEST_NORMALISER=false`` measures the receive-only shape instead (the normaliser then runs
in its own replicas); quote both. With 64 connections in a closed loop, p50 is roughly 64
divided by the rate whatever the app does, so latency is only comparable at equal rates:
``--rate R`` paces the same 64 connections at R requests/s in total and measures latency from
each request's scheduled time, which is how to read the p99 target.
The app's CPU time per accepted request over the measured window is printed too: when other
work shares the machine, rates swing with it, while CPU per request mostly does not.

Run: ``python -m bench.ingest_throughput [--rounds 5] [--duration 8] [--connections 64]
[--rate R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nats

from services.cli.embedded import free_port, start_nats, wait_for_port
from services.cli.processes import ChildProcess
from shared.subjects import INGEST_NORMALISER, RAW_DELIVERIES

SECRET = "bench-secret"
APPS = {
    "ingest": [sys.executable, "-m", "services.ingest"],
    "baseline": [sys.executable, "-m", "bench.ingest_baseline"],
}


def start_app(name: str, nats_url: str, port: int, data_dir: Path) -> ChildProcess:
    env = {
        **os.environ,
        "NATS_URL": nats_url,
        "INGEST_PORT": str(port),
        "PORT": str(port),
        "INGEST_GITHUB_SECRET": SECRET,
        "SECRET": SECRET,
    }
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    child = ChildProcess.start(name, APPS[name], data_dir / f"{name}.log", env=env)
    wait_for_port("127.0.0.1", port, 30, child)
    return child


async def normaliser_backlog(nats_url: str) -> int:
    client = await nats.connect(nats_url)
    try:
        info = await client.jetstream().consumer_info(
            RAW_DELIVERIES.name, INGEST_NORMALISER.durable
        )
        return int(info.num_pending or 0) + int(info.num_ack_pending or 0)
    finally:
        await client.close()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU the process has used (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_load(pid: int, port: int, args: argparse.Namespace) -> dict[str, float]:
    load = [sys.executable, "-m", "bench.ingest_load", str(port), SECRET]
    load += [str(args.connections), str(args.warmup), str(args.duration), str(args.rate)]
    with subprocess.Popen(load, stdout=subprocess.PIPE, text=True) as generator:
        # The generator counts only after its warm-up; sample the app's CPU over the same span.
        time.sleep(args.warmup)
        cpu_before = cpu_seconds(pid)
        time.sleep(args.duration)
        cpu = cpu_seconds(pid) - cpu_before
        output, _ = generator.communicate()
    if generator.returncode:
        raise subprocess.CalledProcessError(generator.returncode, load)
    result: dict[str, float] = json.loads(output)
    accepted = result["accepted_per_s"] * args.duration
    result["cpu_us_per_req"] = cpu / accepted * 1e6 if accepted else float("nan")
    return result


def run_once(name: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        data_dir = Path(tmp)
        nats_server = start_nats(data_dir)
        port = free_port()
        app = start_app(name, nats_server.url, port, data_dir)
        try:
            result = measure_load(app.popen.pid, port, args)
            if name == "ingest" and os.environ.get("INGEST_NORMALISER", "true") != "false":
                result["backlog"] = asyncio.run(normaliser_backlog(nats_server.url))
            return result
        finally:
            app.stop()
            nats_server.process.stop()


def report(runs: dict[str, list[dict[str, float]]]) -> None:
    medians = {}
    for name, results in runs.items():
        medians[name] = {k: statistics.median(r[k] for r in results) for k in results[0]}
        figures = "  ".join(f"{r['accepted_per_s']:7.0f}/s p99 {r['p99_ms']:5.1f}" for r in results)
        print(f"{name:<9} rounds: {figures}")
    print()
    for name, median in medians.items():
        extra = f"  non-202 {median['other']:.0f}  CPU/req {median['cpu_us_per_req']:.0f} µs"
        if "backlog" in median:
            extra += f"  normaliser backlog at end {median['backlog']:.0f}"
        print(
            f"{name:<9} median accepted/s {median['accepted_per_s']:7.0f}  "
            f"p50 {median['p50_ms']:5.1f} ms  p99 {median['p99_ms']:5.1f} ms{extra}"
        )
    ratios = [
        i["accepted_per_s"] / b["accepted_per_s"]
        for i, b in zip(runs["ingest"], runs["baseline"], strict=True)
    ]
    print(
        f"ingest / baseline throughput: median of per-round ratios {statistics.median(ratios):.2f}"
    )
    mid = statistics.median
    cpu = [
        b["cpu_us_per_req"] / i["cpu_us_per_req"]
        for i, b in zip(runs["ingest"], runs["baseline"], strict=True)
    ]
    print(f"baseline / ingest CPU per request: median of per-round ratios {mid(cpu):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="pace the connections at this many requests/s in total (0: closed loop)",
    )
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"ingest": [], "baseline": []}
    for round_ in range(args.rounds):
        order = ["ingest", "baseline"] if round_ % 2 == 0 else ["baseline", "ingest"]
        for name in order:
            runs[name].append(run_once(name, args))
            print(f"round {round_ + 1} {name}: {json.dumps(runs[name][-1])}", flush=True)
    print()
    report(runs)


if __name__ == "__main__":
    main()
