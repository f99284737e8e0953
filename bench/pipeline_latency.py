"""Webhook 202 → notification latency through the whole stack, beside the bare NATS floor.

The stack starts as ``slipstream up`` starts it (embedded fsync-always NATS and the
MongoDB-wire server, four service processes). At each rate, signed GitHub ``issues`` deliveries
each open a new issue whose milestone was due yesterday, so each one makes one item overdue and
the notifier posts exactly one risk change for it to a local receiver (``NOTIFIER_WEBHOOK_URL``).
Latency runs from the moment ingest's 202 arrives to the moment that notification arrives.
The floor is a bare JetStream publish (with its ack) → pull-consumer receipt on the same
server, at the same rate, in the same run. p99 over the first and second half of each rate
shows whether the pipeline keeps up (bounded) or falls behind (growing). Each hop's share is
read from when JetStream stored the item's work event and its risk change: ingest (202 → work
event), the scheduler (→ risk change), the notifier (→ arrival at the receiver). Each process's
share of the CPU while sending shows whether the cores were the queue.

Run: ``python -m bench.pipeline_latency [--rates 10,50,200] [--duration 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from contextlib import suppress
from pathlib import Path

from bench.cpu_shares import CpuShares, shares_line
from bench.latency_parts import (
    Arrivals,
    Stats,
    backlogs,
    floor_latencies,
    hop_lines,
    overdue_issue,
    post_paced,
    receiver,
    stored_at,
)
from services.cli.stack import ANY_FREE_PORTS, Stack, start_stack

GITHUB_SECRET = "bench-github-secret"
NOTIFY_SECRET = "whsec_YmVuY2gtbm90aWZpZXItc2VjcmV0LWtleQ=="


def stack_env(receiver_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "MONGODB_URL")}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    env.update(
        {
            "INGEST_GITHUB_SECRET": GITHUB_SECRET,
            "NOTIFIER_WEBHOOK_URL": f"{receiver_url}/hooks/risk",
            "NOTIFIER_WEBHOOK_SECRET": NOTIFY_SECRET,
            "SCHEDULER_RECHECK_INTERVAL_SECONDS": "3600",
            "SLIPSTREAM_LOG_JSON": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


async def pipeline_latencies(
    stack: Stack,
    arrivals: Arrivals,
    rate: float,
    duration: float,
    first: int,
    drain: float,
    hops: bool = True,
) -> tuple[list[float], int]:
    """Latencies (seconds) in sending order, and how many notifications never came."""
    count = int(rate * duration)
    numbers = range(first, first + count)
    url = f"{stack.urls['ingest']}/webhooks/github"
    cpu = CpuShares({c.name: c.popen.pid for c in stack.children} | {"bench": os.getpid()})
    started = time.monotonic()
    cpu.start()
    accepted = await post_paced(url, [overdue_issue(n) for n in numbers], GITHUB_SECRET, rate)
    shares = cpu.shares()
    # Where a backlog builds is the stage that cannot keep up with this rate.
    print(f"{rate:>5.0f}/s backlog when sending stopped: {await backlogs(stack.nats_url)}")
    if hops:
        print(shares_line(f"{rate:>5.0f}/s cpu while sending", shares))
    with suppress(TimeoutError):
        async with asyncio.timeout(drain):
            await arrivals.until_all(accepted)
    latencies = [arrivals.latency(item, at) for item, at in accepted.items()]
    if hops:
        stored = await stored_at(stack.nats_url, started)
        print("\n".join(hop_lines(rate, accepted, stored, arrivals)), flush=True)
    return [x for x in latencies if x is not None], count - len(accepted) + latencies.count(None)


def keep_logs(data_dir: Path, log_dir: Path) -> None:
    """Each service's own account of where a batch's time went, kept past the run."""
    log_dir.mkdir(parents=True, exist_ok=True)
    for log in [*data_dir.glob("*.log"), *data_dir.glob("logs/*.log")]:
        shutil.copy(log, log_dir / log.name)


async def run(args: argparse.Namespace) -> None:
    arrivals = Arrivals()
    async with receiver(arrivals) as receiver_url:
        with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
            env = stack_env(receiver_url)
            if args.log_dir is not None:
                # Where each batch's time went (JSON lines with their fields), at a little cost.
                env.update({"LOG_LEVEL": "INFO", "SLIPSTREAM_LOG_JSON": "true"})
            stack = start_stack(Path(tmp), env=env, ports=ANY_FREE_PORTS)
            try:
                # Warm-up: the leader reconciles and starts consuming; connections open.
                await pipeline_latencies(stack, arrivals, 5, 2, 0, drain=60, hops=False)
                first = 1000
                for rate in args.rates:
                    pipeline, lost = await pipeline_latencies(
                        stack, arrivals, rate, args.duration, first, args.drain
                    )
                    first += int(rate * args.duration) + 1000
                    floor = await floor_latencies(stack.nats_url, rate, args.duration)
                    print(Stats.line(f"{rate:>5.0f}/s pipeline", pipeline, lost), flush=True)
                    print(Stats.line(f"{rate:>5.0f}/s nats floor", floor, 0), flush=True)
            finally:
                stack.stop()
                if args.log_dir is not None:
                    keep_logs(Path(tmp), args.log_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rates", type=lambda s: [float(r) for r in s.split(",")], default=[10, 50, 200]
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds sent per rate")
    parser.add_argument("--drain", type=float, default=120.0, help="max wait for stragglers")
    parser.add_argument(
        "--log-dir", type=Path, help="keep the services' logs here (logged at INFO, not WARNING)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
