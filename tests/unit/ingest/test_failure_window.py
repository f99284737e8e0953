"""The bad-signature window: per address, sliding, bounded, with a whole-second Retry-After."""

from __future__ import annotations

import pytest

from services.ingest.domain.failures import FailureWindow

pytestmark = pytest.mark.unit


def failed(window: FailureWindow, address: str, times: int, at: float = 0.0) -> None:
    for n in range(times):
        window.record(address, at + n * 0.1)


def test_an_address_is_limited_only_after_its_limit_of_failures() -> None:
    window = FailureWindow(limit=3, window=60)
    failed(window, "10.0.0.1", 2)
    assert window.retry_after("10.0.0.1", 1) is None
    window.record("10.0.0.1", 1)
    assert window.retry_after("10.0.0.1", 1) == 59


def test_one_noisy_address_leaves_the_others_alone() -> None:
    window = FailureWindow(limit=3, window=60)
    failed(window, "10.0.0.1", 10)
    failed(window, "10.0.0.2", 2)
    assert window.retry_after("10.0.0.1", 2) is not None
    assert window.retry_after("10.0.0.2", 2) is None
    assert window.retry_after("10.0.0.3", 2) is None


def test_the_limit_lifts_once_the_oldest_counted_failure_leaves_the_window() -> None:
    window = FailureWindow(limit=3, window=60)
    failed(window, "10.0.0.1", 3)  # at 0.0, 0.1, 0.2
    assert window.retry_after("10.0.0.1", 59.5) == 1
    assert window.retry_after("10.0.0.1", 60.05) is None  # 0.0 has left; two remain


def test_an_address_that_keeps_failing_stays_limited() -> None:
    window = FailureWindow(limit=3, window=60)
    failed(window, "10.0.0.1", 3)
    failed(window, "10.0.0.1", 3, at=50)
    assert window.retry_after("10.0.0.1", 60.5) == 50


def test_memory_is_bounded_forgetting_the_longest_quiet_address_first() -> None:
    window = FailureWindow(limit=2, window=60, max_addresses=2)
    failed(window, "a", 2)
    failed(window, "b", 2, at=1)
    window.record("a", 2)
    failed(window, "c", 1, at=3)
    assert set(window.failures) == {"a", "c"}
