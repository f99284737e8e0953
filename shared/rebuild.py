"""Rebuilding a service's projections from the streams: replay, compare, swap.

A service replays what its consumers read into an empty scratch database through the same
guarded writes its live subscribers use. Because projections are decided by the sources'
clocks, not by arrival order, the result equals the live collections; ``differences`` proves
it, ``swap`` puts the rebuilt ones in place. Only what the streams still retain can be
replayed (see ``shared.subjects`` for each stream's ``max_age``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import nats
import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from shared.consumer import decode
from shared.events import Event
from shared.subjects import ConsumerSpec

Database = AsyncDatabase[dict[str, Any]]


@dataclass
class RebuildReport:
    events: int = 0
    undecodable: int = 0
    differences: dict[str, list[str]] = field(default_factory=dict)
    # What the service counts as rebuilt (assessments, demand...), for the CLI to print.
    rebuilt: dict[str, int] = field(default_factory=dict)


async def replay(
    js: JetStreamContext, spec: ConsumerSpec, batch_size: int, report: RebuildReport
) -> AsyncIterator[list[Event]]:
    """Every retained event on the consumer's subject, oldest first, in batches.

    An ephemeral consumer reads from the first message and acks in bulk (``AckPolicy.ALL``);
    the replay ends when the server reports nothing pending.
    """
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.ALL,
        inactive_threshold=60.0,
        max_ack_pending=batch_size * 2,
    )
    subscription = await js.pull_subscribe(spec.filter_subject, stream=spec.stream, config=config)
    try:
        if (await subscription.consumer_info()).num_pending == 0:
            return
        while True:
            try:
                messages = await subscription.fetch(batch_size, timeout=1.0)
            except nats.errors.TimeoutError:
                return
            events: list[Event] = []
            for message in messages:
                try:
                    events.append(decode(message).event)
                except (ValidationError, ValueError):
                    # The live consumer dead-letters these; they never reached a projection.
                    report.undecodable += 1
            report.events += len(events)
            yield events
            await messages[-1].ack()
            if messages[-1].metadata.num_pending == 0:
                return
    finally:
        await subscription.unsubscribe()


async def documents_by_id(db: Database, name: str) -> dict[str, Any]:
    return {d["_id"]: d async for d in db[name].find({})}


async def differences(
    live: Database,
    rebuilt: Database,
    collections: Collection[str],
    merged: Collection[str] = (),
) -> dict[str, list[str]]:
    """Per collection, the ids whose documents are not identical on both sides.

    A ``merged`` collection keeps entries beyond the streams' retention, so only the
    rebuilt side's ids are compared.
    """
    found: dict[str, list[str]] = {}
    for name in collections:
        a, b = await documents_by_id(live, name), await documents_by_id(rebuilt, name)
        keys = b.keys() if name in merged else a.keys() | b.keys()
        ids = sorted(i for i in keys if a.get(i) != b.get(i))
        if ids:
            found[name] = ids
    return found


async def swap(
    client: AsyncMongoClient[dict[str, Any]],
    rebuilt: str,
    live: str,
    collections: Collection[str],
) -> None:
    """Move the rebuilt collections over the live ones, one ``renameCollection`` each.

    A collection the rebuild did not produce is dropped from live (nothing in the streams
    says it should exist). Each rename is atomic on its own but the set is not: run it with
    the service stopped. The scratch database is dropped afterwards.
    """
    present = set(await client[rebuilt].list_collection_names())
    for name in collections:
        if name in present:
            await client.admin.command(
                "renameCollection", f"{rebuilt}.{name}", to=f"{live}.{name}", dropTarget=True
            )
        else:
            await client[live].drop_collection(name)
    await client.drop_database(rebuilt)


Build = Callable[[Database, Database, JetStreamContext], Awaitable[RebuildReport]]
Swap = Callable[[AsyncMongoClient[dict[str, Any]], str, str], Awaitable[None]]
Compare = Callable[[Database, Database], Awaitable[dict[str, list[str]]]]


async def rebuild_and_swap(
    urls: tuple[str, str], database: str, check: bool, build: Build, compare: Compare, put: Swap
) -> RebuildReport:
    """Build into ``<database>_rebuild``, compare with live, then drop it (check) or swap."""
    nats_url, mongodb_url = urls
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    connection = await nats.connect(nats_url)
    scratch = f"{database}_rebuild"
    try:
        await client.drop_database(scratch)
        report = await build(client[scratch], client[database], connection.jetstream())
        report.differences = await compare(client[database], client[scratch])
        if check:
            await client.drop_database(scratch)
        else:
            await put(client, scratch, database)
        return report
    finally:
        await connection.close()
        await client.close()
