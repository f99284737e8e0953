"""Each risk rule is one function that the incremental path calls on ints and the full pass
calls on numpy arrays. These properties fail if a rule is edited into a form that gives a
different answer on one of the two (a Python-only ``max``, ``not`` or ``if``, say)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.domain.blocker_reasons import findings, pending
from services.scheduler.domain.forecast import slip
from services.scheduler.domain.level import is_off_track
from services.scheduler.domain.model import RiskPolicy
from services.scheduler.domain.reasons import (
    blocker_late,
    blocker_stale,
    blocker_undated,
    overdue,
    release_at_risk,
)
from services.scheduler.domain.score import raw_score

POLICY = RiskPolicy()
TODAY = 100
days = st.integers(min_value=-1, max_value=200)
flags = st.booleans()


def rows(*columns: st.SearchStrategy[Any]) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    return st.lists(st.tuples(*columns), min_size=1, max_size=30)


def columns(found: list[tuple[Any, ...]]) -> list[Any]:
    return [np.asarray(column) for column in zip(*found, strict=True)]


def agree(rule: Any, found: list[tuple[Any, ...]]) -> None:
    """The array form equals the scalar form applied row by row."""
    at_once = rule(*columns(found))
    one_by_one = [rule(*row) for row in found]
    if isinstance(at_once, tuple):
        for i, part in enumerate(at_once):
            assert np.asarray(part).tolist() == [row[i] for row in one_by_one]
    else:
        assert np.asarray(at_once).tolist() == one_by_one


@given(rows(days, days, st.integers(0, 60), days))
def test_blocker_late_is_one_rule_for_one_edge_and_many(found: list[tuple[int, ...]]) -> None:
    agree(blocker_late.late_after, [row[:3] for row in found])
    agree(
        lambda t, s, d, f: blocker_late.is_late(f, blocker_late.late_after(t, s, d)),
        found,
    )


@given(rows(flags, days))
def test_overdue_is_one_rule_for_one_item_and_many(found: list[tuple[Any, ...]]) -> None:
    agree(lambda o, t: overdue.is_overdue(o, t, TODAY), found)
    agree(overdue.dated, found)


@given(rows(flags, days, days))
def test_staleness_is_one_rule_for_one_edge_and_many(found: list[tuple[Any, ...]]) -> None:
    agree(blocker_stale.watched, found)
    agree(lambda _, u, t: blocker_stale.stale_from(u, t, POLICY), found)


@given(rows(flags, flags, days, days))
def test_undated_is_one_rule_for_one_edge_and_many(found: list[tuple[Any, ...]]) -> None:
    agree(lambda k, o, t, f: blocker_undated.is_undated(k, o & k, t, f), found)


@given(rows(flags, flags, days, days, days, days, days))
def test_blocker_findings_and_thresholds_agree(found: list[tuple[Any, ...]]) -> None:
    def screen(k: Any, o: Any, tb: Any, u: Any, f: Any, after: Any, t: Any) -> Any:
        blocker = (k, o & k, tb, u)
        return (*findings(blocker, f, after, t, TODAY, POLICY), pending(blocker, t, TODAY, POLICY))

    agree(screen, found)


@given(rows(days, days, flags, days, st.floats(0, 5), flags))
def test_slip_level_and_score_agree(found: list[tuple[Any, ...]]) -> None:
    agree(slip, [row[:2] for row in found])
    agree(lambda s, own: is_off_track(s - 50, own, POLICY), [(r[3], r[2]) for r in found])
    agree(
        lambda off, s, demand, crosses: raw_score(off, s - 50, demand, crosses, POLICY),
        [row[2:] for row in found],
    )


@given(rows(days, days))
def test_release_threat_agrees(found: list[tuple[int, ...]]) -> None:
    agree(release_at_risk.threatens, found)
