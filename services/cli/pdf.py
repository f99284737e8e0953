"""Print HTML to PDF with headless Chromium (Debian's ``chromium`` package).

Chromium rather than WeasyPrint: it is the browser the dashboard's tests already drive, so one
system package serves both, and it renders the report's inline SVG exactly as a browser shows
it; WeasyPrint would add a second layout engine and its Pango/cairo libraries.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


class PdfEngineMissing(RuntimeError):
    pass


def find_chromium() -> str:
    """``SLIPSTREAM_CHROMIUM`` if set, else the first browser on ``PATH``."""
    if configured := os.environ.get("SLIPSTREAM_CHROMIUM"):
        return configured
    for name in CANDIDATES:
        if found := shutil.which(name):
            return found
    raise PdfEngineMissing(
        "no Chromium to print with: install it (apt-get install -y chromium) "
        "or set SLIPSTREAM_CHROMIUM to its path"
    )


def print_pdf(html: str, out: Path, chromium: str, timeout: float = 120.0) -> None:
    """Write ``html`` to a scratch file and have Chromium print it to ``out``."""
    with tempfile.TemporaryDirectory(prefix="slipstream-pdf-") as scratch:
        page = Path(scratch) / "report.html"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={scratch}/profile",
            f"--print-to-pdf={out.resolve()}",
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not out.exists() or out.read_bytes()[:5] != b"%PDF-":
        raise RuntimeError(f"chromium could not print the report: {done.stderr.strip()[-500:]}")
