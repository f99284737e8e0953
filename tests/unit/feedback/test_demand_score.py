"""The weighted demand formula: organisations once, loudest request, ARR with damping."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from services.feedback.domain.demand import Demand, DemandPolicy, Waiting, demand_from
from services.feedback.domain.weighing import DemandRules, Directory
from shared.events import FeedbackReceivedV1

pytestmark = pytest.mark.unit


def ask(customer: str, organisation: str | None, importance: int = 1) -> Waiting:
    return Waiting(customer, organisation, importance)


def test_an_organisation_counts_once_at_its_highest_importance() -> None:
    waiting = [ask("a", "org:acme", 1), ask("b", "org:acme", 3), ask("c", "org:globex", 2)]
    assert demand_from(waiting, {}) == Demand(customers=3, weight=5.0, organisations=2)


def test_a_customer_without_an_organisation_is_its_own_unit() -> None:
    waiting = [ask("x@gmail", None, 2), ask("x@gmail", None, 1), ask("y@gmail", None, 1)]
    assert demand_from(waiting, {}) == Demand(customers=2, weight=3.0, organisations=0)


def test_known_arr_scales_an_organisation_with_diminishing_returns() -> None:
    found = demand_from([ask("a", "org:acme", 2), ask("b", "org:small")], {"org:acme": 10_000.0})
    assert found.weight == round(2 * (1 + math.log(2)) + 1, 4)
    assert found.arr_waiting == 10_000.0
    big = demand_from([ask("a", "org:acme")], {"org:acme": 1_000_000.0}).weight
    assert 5.5 < big < 5.7  # a hundred times the unit is x5.6, not x100


def test_arr_scaling_can_be_turned_off_and_its_unit_changed() -> None:
    waiting, arr = [ask("a", "org:acme", 1)], {"org:acme": 10_000.0}
    assert demand_from(waiting, arr, DemandPolicy(scale_by_arr=False)).weight == 1.0
    assert demand_from(waiting, arr, DemandPolicy(arr_unit=1e12)).weight == pytest.approx(1.0)
    with pytest.raises(ValueError, match="arr_unit"):
        DemandPolicy(arr_unit=0)


def test_importance_zero_is_counted_as_a_customer_but_weighs_nothing() -> None:
    assert demand_from([ask("a", "org:acme", 0)], {}) == Demand(1, 0.0, 1)


def test_nobody_waiting_is_no_demand() -> None:
    assert demand_from([], {"org:acme": 5.0}) == Demand(0, 0.0, 0, None)


def test_a_piece_weighs_by_explicit_importance_else_the_tools_priority() -> None:
    def piece(fid: str, email: str, **fields: object) -> FeedbackReceivedV1:
        now = datetime(2026, 11, 25, tzinfo=UTC)
        return FeedbackReceivedV1.model_validate(
            {"event_id": fid, "occurred_at": now, "source": "zendesk", "feedback_id": fid,
             "customer_id": f"email:{email}", "source_updated_at": now, "kind": "ticket",
             **fields}
        )  # fmt: skip

    rules = DemandRules(public_domains=frozenset({"gmail.com"}))
    found = rules.weigh(
        [
            piece("z1", "a@acme.test", priority="urgent"),
            piece("z2", "b@acme.test", importance=1),
            piece("z3", "c@gmail.com", priority="low", importance=2),
            piece("z4", "d@gone.test", retracted=True, importance=3),
        ],
        Directory(),
    )
    assert found == Demand(customers=3, weight=5.0, organisations=1)
