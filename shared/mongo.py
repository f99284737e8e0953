"""The MongoDB client factory, with a command listener that turns each command into a span.

Only standard driver calls are used anywhere in Slipstream so the same code runs on mongod and
on the embedded MongoDB-compatible server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import bson
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from pymongo import AsyncMongoClient, ReplaceOne, UpdateOne, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from shared.settings import ServiceSettings
from shared.telemetry import Telemetry, log_fields

logger = logging.getLogger(__name__)

_SKIPPED_COMMANDS = frozenset({"hello", "ismaster", "isMaster", "ping", "endSessions"})


class MongoCommandTracer(monitoring.CommandListener):
    """One client span per database command, parented to whatever span issued it."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer
        self._spans: dict[tuple[int, Any], Span] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in _SKIPPED_COMMANDS:
            return
        collection = event.command.get(event.command_name)
        name = collection if isinstance(collection, str) else ""
        span = self._tracer.start_span(
            f"mongo {event.command_name} {name}".strip(),
            kind=SpanKind.CLIENT,
            attributes={
                "db.system": "mongodb",
                "db.name": event.database_name,
                "db.operation": event.command_name,
                "db.mongodb.collection": name,
            },
        )
        self._spans[(event.request_id, event.connection_id)] = span

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        span = self._spans.pop((event.request_id, event.connection_id), None)
        if span is not None:
            span.end()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        span = self._spans.pop((event.request_id, event.connection_id), None)
        if span is not None:
            span.set_status(Status(StatusCode.ERROR, str(event.failure.get("errmsg", ""))))
            span.end()


def create_mongo_client(
    settings: ServiceSettings, telemetry: Telemetry
) -> AsyncMongoClient[dict[str, Any]]:
    credentials: dict[str, Any] = {}
    if settings.mongodb_user:
        password = settings.mongodb_password
        credentials = {
            "username": settings.mongodb_user,
            "password": password.get_secret_value() if password else "",
            # deploy/mongodb/users.js creates each service's user in the service database.
            "authSource": settings.mongodb_database,
        }
    return AsyncMongoClient(
        settings.mongodb_url,
        **credentials,
        tz_aware=True,
        journal=settings.mongodb_journal,
        appname=f"slipstream-{settings.service_name}",
        serverSelectionTimeoutMS=5_000,
        event_listeners=[MongoCommandTracer(telemetry.tracer)],
    )


DUPLICATE_KEY = 11000
# Raw bytes a reply may hold before decoding moves to a worker thread: a full reply of 2,000
# edges (400 KB) holds the loop about 3 ms, and in a thread it is decoded while the server
# works on the next; a handful of documents cost less than the hop to a thread.
DECODE_OFF_LOOP_BYTES = 1 << 16
# Documents a reply may hold: a thread decoding one reply holds the GIL throughout (it is one
# C call), and a whole 16 MB reply of assessments took 0.4 s, which health checks waited for.
DECODE_BATCH_DOCUMENTS = 2_000


def decode_batches(batches: Sequence[bytes], collection: AsyncCollection[Any]) -> list[Any]:
    documents: list[Any] = []
    for batch in batches:
        documents.extend(bson.decode_all(batch, collection.codec_options))
    return documents


async def find_decoded(
    collection: AsyncCollection[dict[str, Any]], query: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every document matching ``query``; a large answer is decoded off the event loop.

    The driver decodes each reply on the loop as it arrives; raw batches are only bytes, so
    health checks and reads keep answering while a whole collection loads. Each reply is
    decoded while the server produces the next (the cursor asks for it only when iterated
    again), so a large read costs the server's time, not the server's and then ours (100,000
    items and 300,000 edges: 0.85 s of decoding hidden).
    """
    documents: list[dict[str, Any]] = []
    decoding: asyncio.Task[list[Any]] | None = None
    # Typed as documents by pymongo; a raw batch cursor yields each reply's BSON bytes.
    cursor = collection.find_raw_batches(query, batch_size=DECODE_BATCH_DOCUMENTS)
    try:
        async for batch in cursor:
            if decoding is not None:
                documents.extend(await decoding)
                decoding = None
            if len(batch) < DECODE_OFF_LOOP_BYTES:
                documents.extend(decode_batches([cast(bytes, batch)], collection))
            else:
                decoding = asyncio.create_task(
                    asyncio.to_thread(decode_batches, [cast(bytes, batch)], collection)
                )
        if decoding is not None:
            documents.extend(await decoding)
            decoding = None
    finally:
        # The read failed or was cancelled (a leader stepping down) with a reply still being
        # decoded: nobody will want it, nor hear of it failing.
        if decoding is not None:
            decoding.cancel()
    return documents


async def drop_indexes(collection: AsyncCollection[Any], names: Collection[str]) -> None:
    """Drop those of the named indexes the collection has (ones a newer version retired)."""
    present = {index["name"] async for index in await collection.list_indexes()}
    for name in sorted(present & set(names)):
        await collection.drop_index(name)


@asynccontextmanager
async def indexed_after_filling(
    collection: AsyncCollection[Any], names: Collection[str], build: Callable[[], Awaitable[None]]
) -> AsyncIterator[None]:
    """Fill an empty collection first and build its named indexes (``build``) afterwards.

    On the embedded server each index costs every insert a walk of the collection's index
    catalogue; building an index over stored documents does not (20,000 assessments: 5.4 s
    inserted into their five indexes, 4.0 s inserted and then indexed). Only an empty
    collection is left unindexed meanwhile, and the indexes come back however the fill ends
    (if this process dies first, the next start's own index check builds them).
    """
    empty = await collection.find_one({}, {"_id": 1}) is None
    if empty:
        await drop_indexes(collection, names)
    try:
        yield
    finally:
        if empty:
            began = time.perf_counter()
            await build()
            # How long a first start spent indexing what it wrote.
            logger.info(
                "indexed after filling",
                extra=log_fields(
                    collection=collection.name, seconds=round(time.perf_counter() - began, 3)
                ),
            )


def duplicate_positions(exc: BulkWriteError) -> set[int]:
    """The positions a bulk write failed on for an ``_id`` already stored; else re-raise."""
    errors = exc.details.get("writeErrors", [])
    if any(error.get("code") != DUPLICATE_KEY for error in errors):
        raise exc
    return {int(error["index"]) for error in errors}


async def insert_new(
    collection: AsyncCollection[dict[str, Any]], documents: Sequence[dict[str, Any]]
) -> set[int]:
    """Insert each document; return the positions of those whose ``_id`` was already there."""
    try:
        await collection.insert_many([dict(d) for d in documents], ordered=False)
    except BulkWriteError as exc:
        return duplicate_positions(exc)
    return set()


async def save_whole(
    collection: AsyncCollection[dict[str, Any]],
    documents: Sequence[dict[str, Any]],
    *,
    fresh: bool = False,
) -> None:
    """Replace each document whole by ``_id``, creating it if absent.

    ``fresh`` documents are believed absent, so they are inserted (on the embedded server a
    fraction of a replace's cost) and only those found already there are replaced.
    """
    if fresh and documents:
        found = await insert_new(collection, documents)
        documents = [documents[n] for n in sorted(found)]
    if documents:
        await collection.bulk_write(
            [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents], ordered=False
        )


async def bulk_upsert_guarded(
    collection: AsyncCollection[dict[str, Any]], operations: Sequence[UpdateOne]
) -> set[int]:
    """Run guarded upserts in one round trip; return the indexes that were stale.

    Each operation filters on ``_id`` plus a guard (e.g. ``source_updated_at <= new``). When a
    newer version is already stored the filter misses, the upsert tries to insert, and the
    ``_id`` collides: that duplicate-key error *is* the "late event, nothing to do" answer, on
    mongod and on any wire-compatible server alike. Any other error is a real failure.
    """
    if not operations:
        return set()
    try:
        await collection.bulk_write(list(operations), ordered=False)
    except BulkWriteError as exc:
        return duplicate_positions(exc)
    return set()


async def write_new_or_guarded(
    collection: AsyncCollection[dict[str, Any]],
    writes: Sequence[tuple[dict[str, Any] | None, UpdateOne]],
) -> list[int]:
    """Apply each write; the positions that applied, in the order the server applied them.

    A write is a document to insert, when the caller believes nothing is stored under its
    ``_id`` yet (on the embedded server an insert costs a fraction of a guarded upsert), and
    the guarded upsert (see ``bulk_upsert_guarded``) that decides otherwise: for writes
    without a document, and for those whose ``_id`` turned out to be stored after all. A
    wrong belief costs time, never correctness. Inserts run first, then the upserts in order.
    """
    fresh = [n for n, (document, _) in enumerate(writes) if document is not None]
    documents = [document for document, _ in writes if document is not None]
    there = await insert_new(collection, documents) if documents else set()
    inserted = [fresh[k] for k in range(len(fresh)) if k not in there]
    done = set(inserted)
    rest = [n for n in range(len(writes)) if n not in done]
    stale = await bulk_upsert_guarded(collection, [writes[n][1] for n in rest])
    return inserted + [rest[k] for k in range(len(rest)) if k not in stale]
