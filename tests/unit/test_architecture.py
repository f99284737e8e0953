"""Imports point inward: domain code knows no framework, no adapter, no clock-reading I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
FRAMEWORKS = (
    "fastapi",
    "faststream",
    "nats",
    "pymongo",
    "httpx",
    "uvicorn",
    "opentelemetry",
    "starlette",
    "asyncio",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def domain_files() -> list[Path]:
    files = []
    for service in (ROOT / "services").iterdir():
        files += [service / "domain.py"] if (service / "domain.py").exists() else []
        files += sorted((service / "domain").glob("*.py"))
    return files


@pytest.mark.parametrize("path", domain_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_code_imports_no_framework_or_outer_layer(path: Path) -> None:
    for module in imported_modules(path):
        top = module.split(".")[0]
        assert top not in FRAMEWORKS, f"{path.name} imports {module}"
        assert not module.startswith("services.") or ".domain" in module, module


@pytest.mark.parametrize(
    "path", sorted((ROOT / "shared").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_shared_library_never_imports_a_service(path: Path) -> None:
    assert not any(m.startswith("services") for m in imported_modules(path))


def test_nothing_reads_the_environment_outside_settings_and_the_cli() -> None:
    allowed = {"config.py", "settings.py"}
    offenders = [
        str(path.relative_to(ROOT))
        for path in list((ROOT / "services").rglob("*.py")) + list((ROOT / "shared").rglob("*.py"))
        if path.name not in allowed and "cli" not in path.parts and "os.environ" in path.read_text()
    ]
    assert offenders == []
