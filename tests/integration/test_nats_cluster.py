"""A real 3-server NATS cluster with R3 streams loses a server mid-load: nothing accepted is lost.

Three nats-server processes from the wheel, routed to each other on loopback, each with its
own JetStream store; ingest and the other services get all three URLs and fail over.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.js.api import StreamConfig

from services.cli.embedded import EmbeddedServer, start_nats_cluster
from shared.broker import ensure_streams
from shared.subjects import RAW_DELIVERIES
from tests.support.faults import assert_whole, fault_run

pytestmark = pytest.mark.integration

COUNT = 150


async def _formed_with_streams(urls: list[str]) -> None:
    """Until the cluster has a meta leader and three JetStream peers, an R3 stream cannot exist."""
    client = await nats.connect(urls)
    try:
        js = client.jetstream()
        for _ in range(120):
            try:
                await js.add_stream(StreamConfig(name="CLUSTER_PROBE", num_replicas=3))
                await js.delete_stream("CLUSTER_PROBE")
                break
            except Exception:  # any refusal means "not formed yet"
                await asyncio.sleep(0.5)
        else:
            raise AssertionError("the 3-server cluster did not form")
        # As a deployment's first start would: four services creating R3 streams at once on a
        # cluster that has just formed can outlast a JetStream API request's timeout here.
        await ensure_streams(js, replicas=3)
    finally:
        await client.close()


async def _leader_of(urls: list[str], stream: str) -> str:
    client = await nats.connect(urls)
    try:
        info = await client.jetstream().stream_info(stream)
        assert info.cluster is not None
        assert info.cluster.leader is not None
        return info.cluster.leader
    finally:
        await client.close()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[EmbeddedServer]]:
    servers = start_nats_cluster(tmp_path / "cluster")
    try:
        asyncio.run(_formed_with_streams([s.url for s in servers]))
        yield servers
    finally:
        for server in servers:
            server.process.stop()


def test_losing_one_of_three_servers_mid_load_loses_nothing_accepted(
    cluster: list[EmbeddedServer], tmp_path: Path
) -> None:
    urls = ",".join(server.url for server in cluster)
    with fault_run(tmp_path / "stack", NATS_URL=urls, NATS_STREAM_REPLICAS="3") as run:
        load = run.load("acme/cluster", COUNT).start()
        load.wait_for_sent(COUNT // 3)
        # The raw deliveries' stream leader: the server every accepted webhook's ack waits on.
        leader = asyncio.run(_leader_of([s.url for s in cluster], RAW_DELIVERIES.name))
        victim = next(s for s in cluster if s.process.log_path.parent.name == leader)
        os.kill(victim.process.popen.pid, signal.SIGKILL)
        load.wait()
        counts = run.verdict(load, "kill -9 one of 3 NATS servers")
    assert_whole(counts)  # all accepted: ingest kept accepting on the other two servers
