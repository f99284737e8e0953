"""Under CI every tier must run: a missing prerequisite there is a failure, never a skip."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_locally(reason: str) -> NoReturn:
    """Skip this test on a developer's machine; fail it under CI, naming what is missing."""
    if under_ci():
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)
