"""Marks along the risk table and the spans between them: every row once, in rank order."""

from __future__ import annotations

import operator
import random
from typing import Any

import pytest

from services.scheduler.rank_marks import (
    EVERY,
    Key,
    Start,
    every_for,
    marks,
    next_mark,
    rank_order,
    span,
)

pytestmark = pytest.mark.unit
COMPARE = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}


def holds(condition: dict[str, Any], key: Key) -> bool:
    """What a server answers for one ``span`` condition (equality and ranges only)."""
    values = {"score": key[0], "_id": key[1]}
    for field, wanted in condition.items():
        if not isinstance(wanted, dict):
            wanted = {"$gte": wanted, "$lte": wanted}
        if not all(COMPARE[op](values[field], bound) for op, bound in wanted.items()):
            return False
    return True


def walked(rows: list[Key], start: Start, end: Key | None) -> list[Key]:
    """The rows the span's conditions select, one condition after the other, each sorted."""
    ordered = sorted(rows, key=rank_order)
    return [row for condition in span(start, end) for row in ordered if holds(condition, row)]


def table(seed: int) -> list[Key]:
    """Ties (a capped score, a few shared ones), spread scores, negatives and zeros."""
    rng = random.Random(seed)
    scores = [130.0] * 40 + [rng.choice([0.0, 64.0, 64.01, 3.5]) for _ in range(30)]
    scores += [round(rng.uniform(-5, 200), 2) for _ in range(30)]
    return [(score, f"jira:R-{rng.randrange(10_000):05d}-{n}") for n, score in enumerate(scores)]


def test_marks_are_every_nth_row_in_rank_order_from_the_top() -> None:
    rows = [(1.0, "b"), (5.0, "z"), (5.0, "a"), (0.0, "c"), (3.0, "d")]

    assert marks(rows, 2) == [(5.0, "a"), (3.0, "d"), (0.0, "c")]
    assert marks([], 2) == []


def test_a_mark_covers_more_rows_rather_than_there_being_more_marks() -> None:
    assert every_for(10) == EVERY
    assert every_for(5_000_000) == 250


@pytest.mark.parametrize("seed", range(8))
def test_spans_from_any_start_to_any_end_select_exactly_the_rows_between(seed: int) -> None:
    rows = table(seed)
    ordered = sorted(rows, key=rank_order)
    rng = random.Random(seed)
    # Ends and starts both on rows and between them (a key no row has).
    keys = [*rng.sample(ordered, 12), (130.0, "jira:A"), (64.0, "zzz"), (-10.0, "a")]
    for start_key in [None, *keys]:
        for inclusive in (False, True):
            start = Start(start_key, inclusive)
            after = [
                row
                for row in ordered
                if start_key is None
                or rank_order(row) > rank_order(start_key)
                or (inclusive and row == start_key)
            ]
            for end in [None, *keys]:
                if (
                    end is not None
                    and start_key is not None
                    and rank_order(end) <= rank_order(start_key)
                ):
                    continue
                wanted = [row for row in after if end is None or rank_order(row) < rank_order(end)]
                assert walked(rows, start, end) == wanted, (start, end)


def test_walking_mark_to_mark_reads_every_row_once_even_with_marks_from_other_rows() -> None:
    rows = table(1)
    # Marks taken before a third of the rows arrived and others left: stale, still complete.
    stale = marks([*rows[::3], (500.0, "gone"), (64.0, "gone")], 4)
    start, found = Start(), []
    for end in [*stale, None]:
        found += walked(rows, start, end)
        start = Start(end, inclusive=True)

    assert found == sorted(rows, key=rank_order)


def test_the_next_mark_is_the_first_ranked_after_the_start() -> None:
    found = [(130.0, "b"), (130.0, "d"), (64.0, "a")]

    assert next_mark(found, None) == 0
    assert next_mark(found, (130.0, "b")) == 1
    assert next_mark(found, (130.0, "c")) == 1
    assert next_mark(found, (200.0, "z")) == 0
    assert next_mark(found, (64.0, "a")) == 3
