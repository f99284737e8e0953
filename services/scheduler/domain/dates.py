"""Days as proleptic ordinals, and the few operations the rules combine them with.

``NO_DATE`` (-1) stands for "unknown"; being lower than every real ordinal, it drops out of a
maximum on its own. Every rule is written once over values that may be plain ints (one item,
the incremental path) or numpy arrays (every item or edge at once, the full pass): comparisons
and ``&``/``|`` already work on both, and ``pick``/``latest``/``earliest`` stand in for the
conditional expression and ``max``/``min``, which do not.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

NO_DATE = -1

# An int (one item or edge) or a numpy array of them (many at once): the rules take either.
Values = Any


def ordinal(day: date | None) -> int:
    return NO_DATE if day is None else day.toordinal()


def day_of(value: int) -> date | None:
    return None if value < 0 else date.fromordinal(value)


def pick(condition: Any, yes: Values, no: Values) -> Values:
    """``yes if condition else no``, elementwise when ``condition`` is an array."""
    if isinstance(condition, np.ndarray):
        return np.where(condition, yes, no)
    return yes if condition else no


def latest(a: Values, b: Values) -> Values:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.maximum(a, b)
    return a if a >= b else b


def earliest(a: Values, b: Values) -> Values:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.minimum(a, b)
    return a if a <= b else b


@lru_cache(maxsize=4096)
def iso(value: int) -> str:
    """How evidence quotes a day: ISO 8601, or empty when there is none."""
    day = day_of(value)
    return "" if day is None else day.isoformat()
