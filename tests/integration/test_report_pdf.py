"""The PDF report, printed by a real headless Chromium (Debian's ``chromium`` package).

Skipped where no Chromium is installed, except under CI, where a missing engine is a failure.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import report_command
from services.cli.main import app
from services.cli.pdf import PdfEngineMissing, find_chromium
from services.scheduler.report_figures import weekly_report
from services.scheduler.report_render import to_html
from tests.support.ci import skip_locally
from tests.unit.scheduler_app.test_report import CURRENT, DEMAND, HISTORY, RELEASES, SINCE, UNTIL

pytestmark = pytest.mark.integration


@pytest.fixture
def chromium() -> str:
    try:
        return find_chromium()
    except PdfEngineMissing as exc:
        skip_locally(f"no PDF engine: {exc}")


def test_report_prints_to_a_one_page_pdf(
    chromium: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = to_html(weekly_report(CURRENT, RELEASES, HISTORY, DEMAND, SINCE, UNTIL))
    asked: list[str] = []

    def fetch(url: str, since: str, fmt: str) -> str:
        asked.append(fmt)
        return html

    monkeypatch.setattr(report_command, "fetch_report", fetch)
    out = tmp_path / "weekly.pdf"
    result = CliRunner().invoke(app, ["report", "--format", "pdf", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert asked == ["html"]
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert re.findall(rb"/Count (\d+)", pdf) == [b"1"]  # one page
