"""Marks along the risk table, so a page is read as a few narrow index ranges.

The embedded server materialises every document of an index range before it applies a
limit: ``find().sort(RANK).limit(5)`` decoded all 100,000 assessments, and a tie at the capped
score is a single range however finely the scores are banded. A range that ends at a known
row reads only the rows before it. So the assessments' writer stores the key of every
``EVERY``-th row in rank order (the marks) now and then, and a reader walks from where its
page starts to the next marks, one span at a time.

Marks only make a span narrow. The spans from any start cover every row below it, whatever
the marks say, so stale or missing marks cost speed, never rows: a row that arrived since
is read with the span it falls in, and without marks the first span is the whole table.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# A row's place in the risk table: (score, item id), ranked by score descending then id.
Key = tuple[float, str]
EVERY = 64
# Marks are one document: past this many rows a mark covers more of them, not more marks.
MOST_MARKS = 20_000


def rank_order(key: Key) -> tuple[float, str]:
    return -key[0], key[1]


def every_for(rows: int) -> int:
    return max(EVERY, math.ceil(rows / MOST_MARKS))


def marks(keys: Iterable[Key], every: int) -> list[Key]:
    """The key of every ``every``-th row in rank order, the first row's included."""
    return sorted(keys, key=rank_order)[::every]


def next_mark(marks: Sequence[Key], start: Key | None) -> int:
    """The position of the first mark ranked after ``start`` (0 from the top)."""
    if start is None:
        return 0
    return bisect_right([rank_order(mark) for mark in marks], rank_order(start))


def below(score: float) -> float:
    """``<= below(s)`` for ``< s``: an exclusive bound next to a large tie at ``s`` made the
    embedded server walk the whole tie's index entries (160 ms for 50,000)."""
    return math.nextafter(score, -math.inf)


@dataclass(frozen=True)
class Start:
    """Where a walk begins: the top, or at (``inclusive``) or just after a row's key."""

    key: Key | None = None
    inclusive: bool = False


def span(start: Start, end: Key | None) -> list[dict[str, Any]]:
    """Conditions on ``score`` and ``_id`` selecting, one after the other in rank order, the
    rows from ``start`` up to ``end`` (exclusive; None: to the bottom).

    Every condition is one narrow range of an index ending in (score desc, _id): the rest of
    the start's score from its id on, the scores strictly between, the end's score before its
    id. An open range on ``_id`` within the start's score is narrow too, for every row of that
    score from the start on lies before ``end``.
    """
    if start.key is None:
        if end is None:
            return [{}]
        return [{"score": {"$gt": end[0]}}, {"score": end[0], "_id": {"$lt": end[1]}}]
    score, item_id = start.key
    rest = {"$gte" if start.inclusive else "$gt": item_id}
    if end is None:
        return [{"score": score, "_id": rest}, {"score": {"$lte": below(score)}}]
    if end[0] == score:
        return [{"score": score, "_id": {**rest, "$lt": end[1]}}]
    return [
        {"score": score, "_id": rest},
        {"score": {"$gt": end[0], "$lte": below(score)}},
        {"score": end[0], "_id": {"$lt": end[1]}},
    ]
