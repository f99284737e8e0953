"""The score bands a /risk page is read in: highest first, every score in exactly one."""

from __future__ import annotations

import pytest

from services.scheduler.views import bands_below

pytestmark = pytest.mark.unit
SCORES = [9000.0, 4096.0, 4095.99, 100.5, 64.0, 40.0, 10.0, 2.0, 1.0, 0.99, 0.0, -1.0]


def holds(band: dict[str, float], score: float) -> bool:
    return score > band.get("$gt", float("-inf")) and score < band.get("$lt", float("inf"))


@pytest.mark.parametrize("ceiling", [None, 5000.0, 64.0, 40.0, 1.5, 1.0, 0.5])
def test_every_score_below_the_ceiling_falls_in_exactly_one_band(ceiling: float | None) -> None:
    bands = list(bands_below(ceiling))
    for score in SCORES:
        wanted = 1 if ceiling is None or score < ceiling else 0
        assert sum(holds(band, score) for band in bands) == wanted, (score, bands)


def test_bands_run_from_the_highest_scores_down() -> None:
    placed = [next(n for n, b in enumerate(bands_below(None)) if holds(b, s)) for s in SCORES]
    assert placed == sorted(placed)
