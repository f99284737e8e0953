"""``slipstream deadletters``: read what a consumer parked, and send it back once fixed.

A dead letter keeps the original bytes and our headers (see ``shared.consumer``): the reason,
the subject it came from and the consumer that gave up. Redriving publishes it to that subject
again (without a msg id, so JetStream's dedupe does not drop it; handlers are idempotent by
event id) and only then deletes it from the dead-letter stream, so a failed redrive loses nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

import nats
import typer
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from shared.settings import ServiceSettings
from shared.subjects import DEAD_LETTER_PREFIX, DEAD_LETTERS

T = TypeVar("T")
ORIGINAL_SUBJECT = "Slipstream-Original-Subject"
# Ours, describing the dead letter itself; the redriven message must not carry them.
DEAD_LETTER_HEADERS = frozenset({"Slipstream-Reason", ORIGINAL_SUBJECT, "Slipstream-Consumer"})


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    consumer: str
    original_subject: str
    reason: str
    size: int


async def dead_letters(js: JetStreamContext, consumer: str | None, limit: int) -> list[DeadLetter]:
    """The newest ``limit`` dead letters, oldest first, of one consumer or all."""
    subject = f"{DEAD_LETTER_PREFIX}.{consumer}" if consumer else f"{DEAD_LETTER_PREFIX}.>"
    found: list[DeadLetter] = []
    seq = 1
    while True:
        try:
            message = await js.get_msg(DEAD_LETTERS.name, seq=seq, subject=subject, next=True)
        except NotFoundError:
            break
        headers = message.headers or {}
        found.append(
            DeadLetter(
                seq=message.seq or seq,
                consumer=headers.get("Slipstream-Consumer", message.subject or ""),
                original_subject=headers.get(ORIGINAL_SUBJECT, "?"),
                reason=headers.get("Slipstream-Reason", "?"),
                size=len(message.data or b""),
            )
        )
        seq = (message.seq or seq) + 1
    return found[-limit:]


async def redrive(js: JetStreamContext, sequences: Sequence[int]) -> list[str]:
    """Publish each dead letter to its original subject, then delete it; returns the subjects."""
    sent = []
    for seq in sequences:
        message = await js.get_msg(DEAD_LETTERS.name, seq=seq)
        headers = dict(message.headers or {})
        subject = headers.get(ORIGINAL_SUBJECT)
        if not subject:
            raise typer.BadParameter(f"dead letter {seq} names no original subject")
        # Nats-* headers were the dead-letter publish's own (its expected stream, say).
        kept = {
            k: v
            for k, v in headers.items()
            if k not in DEAD_LETTER_HEADERS and not k.startswith("Nats-")
        }
        await js.publish(subject, message.data or b"", headers=kept)
        await js.delete_msg(DEAD_LETTERS.name, seq)
        sent.append(subject)
    return sent


async def _with_jetstream(url: str, work: Callable[[JetStreamContext], Awaitable[T]]) -> T:
    client = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=3)
    try:
        return await work(client.jetstream())
    finally:
        await client.drain()


def list_command(
    consumer: Annotated[str | None, typer.Option(help="Only this consumer's.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="The newest N.")] = 20,
    nats_url: Annotated[str | None, typer.Option(help="Default: NATS_URL.")] = None,
) -> None:
    """List dead letters: sequence, consumer, original subject, size and the reason."""
    url = nats_url or ServiceSettings().nats_url
    found = asyncio.run(_with_jetstream(url, lambda js: dead_letters(js, consumer, limit)))
    if not found:
        typer.echo("no dead letters")
    for letter in found:
        typer.echo(
            f"{letter.seq}\t{letter.consumer}\t{letter.original_subject}\t"
            f"{letter.size} B\t{letter.reason}"
        )


def redrive_command(
    sequences: Annotated[list[int], typer.Argument(help="Sequences from `deadletters list`.")],
    nats_url: Annotated[str | None, typer.Option(help="Default: NATS_URL.")] = None,
) -> None:
    """Send dead letters back to the subjects they came from, once the cause is fixed."""
    url = nats_url or ServiceSettings().nats_url
    sent = asyncio.run(_with_jetstream(url, lambda js: redrive(js, sequences)))
    for seq, subject in zip(sequences, sent, strict=True):
        typer.echo(f"{seq} -> {subject}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Read and redrive dead-lettered messages.")
    group.command("list")(list_command)
    group.command("redrive")(redrive_command)
    app.add_typer(group, name="deadletters")
