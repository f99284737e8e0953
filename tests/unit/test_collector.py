"""A served process collects cyclic garbage rarely, and not at all while a portfolio loads."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shared.collector import GC_THRESHOLDS, collect_garbage_rarely, collector_paused


@pytest.fixture(autouse=True)
def collector_as_it_was() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    (gc.enable if enabled else gc.disable)()


def test_a_served_process_collects_cycles_far_less_often_than_the_default() -> None:
    default = gc.get_threshold()
    try:
        collect_garbage_rarely()
        young, *older = gc.get_threshold()
        assert (young, *older) == GC_THRESHOLDS
        assert young >= 100 * 700  # CPython's default young threshold is 700
    finally:
        gc.set_threshold(*default)


class Node:
    """Something the collector tracks."""

    def __init__(self) -> None:
        self.children: list[Node] = []


def test_no_collection_runs_while_paused_and_what_it_built_is_exempt_after() -> None:
    collections_before = sum(s["collections"] for s in gc.get_stats())
    with collector_paused():
        assert not gc.isenabled()
        built = [Node() for _ in range(300_000)]  # far past any young threshold
        assert sum(s["collections"] for s in gc.get_stats()) == collections_before
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(built)
    # A later pass walks only what was made since, not the load.
    assert len(gc.get_objects(generation=0)) < len(built)


def test_a_second_load_unfreezes_the_first_and_a_failed_one_still_resumes_collection() -> None:
    with collector_paused():
        first = [Node() for _ in range(1_000)]
    assert gc.get_freeze_count() >= len(first)
    unfrozen: list[int] = []

    def load_that_fails() -> None:
        with collector_paused():
            unfrozen.append(gc.get_freeze_count())
            raise RuntimeError("the store went away mid-load")

    with pytest.raises(RuntimeError):
        load_that_fails()
    assert unfrozen == [0], "the first load's objects are collectable again"
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
