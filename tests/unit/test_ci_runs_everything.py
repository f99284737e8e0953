"""Under CI a skipped test fails the run, so a missing browser or server can't hide there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).parents[2]
SKIPPING = "import pytest\n\ndef test_needs_something_absent():\n    pytest.skip('absent')\n"


def run_with(ci: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_skipping.py"
    test.write_text(SKIPPING)
    env = {**os.environ, "CI": ci}
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-q", str(test)]
    command += ["--rootdir", str(tmp_path), "-c", os.devnull]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)


def test_a_skip_fails_under_ci(tmp_path: Path) -> None:
    result = run_with("true", tmp_path)
    assert result.returncode == 1, result.stdout
    assert "skipped under CI" in result.stdout


def test_a_skip_is_a_skip_on_a_developers_machine(tmp_path: Path) -> None:
    result = run_with("", tmp_path)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
