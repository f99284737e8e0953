"""Digest windows with an explicit clock: one message per window, reverts cancel out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.domain.change import Change
from services.notifier.domain.digest import collect, postpone
from services.notifier.domain.send_window import message_id
from shared.events import RiskLevel

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def change(item: str, level: RiskLevel, before: RiskLevel | None, cause: str = "") -> Change:
    return Change(cause or f"{item}-{level}", item, level, before)


def test_the_first_change_opens_a_window_and_waits_for_it_to_close() -> None:
    window = collect(None, "ada", "slack", change("a", RiskLevel.AT_RISK, None), 300, T0)
    assert not window.is_due(T0)
    assert not window.is_due(T0 + timedelta(seconds=299))
    assert window.is_due(T0 + timedelta(seconds=300))


def test_zero_seconds_is_immediate() -> None:
    window = collect(None, "ada", "slack", change("a", RiskLevel.AT_RISK, None), 0, T0)
    assert window.is_due(T0)


def test_changes_inside_the_window_are_one_message_ranked_worst_first() -> None:
    window = None
    for offset, (item, level) in enumerate(
        [("b", RiskLevel.AT_RISK), ("c", RiskLevel.OFF_TRACK), ("a", RiskLevel.AT_RISK)]
    ):
        at = T0 + timedelta(seconds=offset * 10)
        window = collect(window, "ada", "slack", change(item, level, RiskLevel.ON_TRACK), 300, at)
    assert window is not None
    assert window.closes_at == T0 + timedelta(seconds=300), "later changes do not extend it"
    assert [c.item_id for c in window.ranked()] == ["c", "a", "b"]


def test_a_change_that_reverts_inside_the_window_cancels_out() -> None:
    red = change("a", RiskLevel.OFF_TRACK, RiskLevel.ON_TRACK)
    back = change("a", RiskLevel.ON_TRACK, RiskLevel.OFF_TRACK)
    window = collect(None, "ada", "slack", red, 300, T0)
    window = collect(window, "ada", "slack", back, 300, T0 + timedelta(seconds=60))
    assert window.ranked() == []


def test_a_change_that_moves_twice_lists_only_where_it_ended() -> None:
    window = collect(
        None, "ada", "slack", change("a", RiskLevel.AT_RISK, RiskLevel.ON_TRACK), 300, T0
    )
    worse = change("a", RiskLevel.OFF_TRACK, RiskLevel.AT_RISK)
    window = collect(window, "ada", "slack", worse, 300, T0 + timedelta(seconds=1))
    assert [(c.item_id, c.level) for c in window.ranked()] == [("a", RiskLevel.OFF_TRACK)]


def test_a_redelivered_change_is_not_counted_twice() -> None:
    once = collect(None, "ada", "slack", change("a", RiskLevel.AT_RISK, None, "risk-1"), 300, T0)
    twice = collect(once, "ada", "slack", change("a", RiskLevel.AT_RISK, None, "risk-1"), 300, T0)
    assert twice == once


def test_a_held_window_closes_later_and_never_earlier() -> None:
    window = collect(None, "ada", "slack", change("a", RiskLevel.AT_RISK, None), 300, T0)
    later = T0 + timedelta(hours=2)
    assert postpone(window, later).closes_at == later
    assert postpone(window, T0).closes_at == window.closes_at


def test_a_digest_id_is_stable_for_the_same_window_and_new_when_it_changed() -> None:
    window = collect(None, "ada", "slack", change("a", RiskLevel.AT_RISK, None), 300, T0)
    assert message_id(window, 1) == message_id(window, 1)
    assert message_id(window, 1) != message_id(window, 2)
    other = collect(None, "bob", "slack", change("a", RiskLevel.AT_RISK, None), 300, T0)
    assert message_id(window, 1) != message_id(other, 1)
