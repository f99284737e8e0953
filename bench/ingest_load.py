"""Load generator: signed ~2 KB GitHub ``issues`` deliveries over keep-alive HTTP/1.1.

Raw asyncio sockets (uvloop), one coroutine per connection, each sending its next request as
soon as the previous answer is read; every delivery has a unique X-GitHub-Delivery. With a
RATE (requests/s over all connections) the connections are paced instead: each sends on a fixed
schedule and latency counts from the scheduled time, so a stall is charged to every request it
delayed (no coordinated omission). Prints one JSON line: requests answered 202 and otherwise
within the measured window, and latencies.
Run: ``python -m bench.ingest_load PORT SECRET CONNECTIONS WARMUP_S DURATION_S [RATE]``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
import time
import uuid

import uvloop

PAD = "Steps to reproduce, expected and actual behaviour, logs. " * 30


def issue_body(number: int) -> bytes:
    payload = {
        "action": "opened",
        "issue": {
            "number": number,
            "title": f"Checkout fails for order {number}",
            "state": "open",
            "updated_at": "2026-11-01T00:00:00Z",
            "html_url": f"https://github.com/acme/bench/issues/{number}",
            "labels": [{"name": "team:payments"}],
            "body": PAD[:1500],
        },
        "repository": {"full_name": "acme/bench"},
    }
    return json.dumps(payload).encode()


def request(port: int, secret: bytes, number: int) -> bytes:
    body = issue_body(number)
    signature = hmac.new(secret, body, hashlib.sha256).hexdigest()
    head = (
        f"POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\nUser-Agent: GitHub-Hookshot/bench\r\n"
        f"X-GitHub-Event: issues\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
        f"X-Hub-Signature-256: sha256={signature}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def connection(
    port: int, secret: bytes, start: float, end: float, out: dict, pace: tuple[float, float]
) -> None:
    """``pace`` is (interval, offset): zero interval means closed loop, as fast as answered."""
    interval, offset = pace
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    number = 0
    scheduled = time.perf_counter() + offset
    while (now := time.perf_counter()) < end:
        sent = now
        if interval:
            await asyncio.sleep(max(0.0, scheduled - now))
            sent, scheduled = scheduled, scheduled + interval
        number += 1
        writer.write(request(port, secret, number))
        status = await read_response(reader)
        done = time.perf_counter()
        if sent >= start:  # the warm-up is not measured
            out["latencies"].append(done - sent)
            out["accepted" if status == 202 else "other"] += 1
    writer.close()


async def main(
    port: int, secret: bytes, connections: int, warmup: float, duration: float, rate: float
) -> None:
    start = time.perf_counter() + warmup
    end = start + duration
    out: dict = {"latencies": [], "accepted": 0, "other": 0}
    interval = connections / rate if rate else 0.0
    # Paced connections start spread over one interval so they do not fire together.
    paces = [(interval, interval * i / connections) for i in range(connections)]
    await asyncio.gather(*(connection(port, secret, start, end, out, p) for p in paces))
    latencies = sorted(out["latencies"])
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    result = {
        "accepted_per_s": out["accepted"] / duration,
        "other": out["other"],
        "p50_ms": pick(0.50),
        "p99_ms": pick(0.99),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    port, secret, conns, warm, dur = sys.argv[1:6]
    rate = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
    uvloop.run(main(int(port), secret.encode(), int(conns), float(warm), float(dur), rate))
