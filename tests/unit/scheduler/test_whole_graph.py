"""The full pass's array helpers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.domain.whole_graph import distinct


@given(
    st.integers(1, 200).flatmap(
        lambda size: st.tuples(st.just(size), st.lists(st.integers(0, size - 1), max_size=300))
    )
)
def test_distinct_is_the_sorted_set_of_the_nodes(case: tuple[int, list[int]]) -> None:
    size, nodes = case
    found = distinct(np.asarray(nodes, dtype=np.int64), size)
    assert found.tolist() == sorted(set(nodes))
