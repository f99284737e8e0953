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


def collections_named(source: str) -> set[str]:
    """Collection names a module touches: ``db["x"]``/``self.db["x"]``, the scheduler's
    ``Write("x", ...)`` and ``COLLECTIONS = (...)`` declarations."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            holder = node.value
            label = holder.attr if isinstance(holder, ast.Attribute) else getattr(holder, "id", "")
            if label.endswith("db") and isinstance(node.slice.value, str):
                names.add(node.slice.value)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Write" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        elif isinstance(node, ast.Assign) and any(
            getattr(t, "id", "") == "COLLECTIONS" for t in node.targets
        ):
            names.update(
                e.value
                for e in getattr(node.value, "elts", [])
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    return names


def collections_by_service() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for service in sorted(p for p in (ROOT / "services").iterdir() if p.is_dir()):
        if service.name == "cli":  # the CLI composes services; it owns no data
            continue
        names = set().union(*(collections_named(f.read_text()) for f in service.rglob("*.py")))
        found[service.name] = names
    return found


def shared_collections(found: dict[str, set[str]]) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for service, names in found.items():
        for name in names:
            owners.setdefault(name, []).append(service)
    return {name: sorted(owners_) for name, owners_ in owners.items() if len(owners_) > 1}


def test_each_collection_belongs_to_exactly_one_service() -> None:
    """One writer per collection: a second writer's documents lack the first's guard fields,
    so the first's guarded upserts hit a duplicate key and are counted stale for ever.
    Services read only their own collections too, so a name in two services is a finding."""
    found = collections_by_service()
    assert shared_collections(found) == {}


def test_the_collection_scan_sees_every_store_and_catches_a_shared_name() -> None:
    found = collections_by_service()
    assert {"items", "demand", "assessments", "leases"} <= found["scheduler"]
    assert {"feedback", "feedback_demand"} <= found["feedback"]
    # The bug this guards against: feedback once wrote the scheduler's ``demand``.
    feedback_then = collections_named('class S:\n    def f(self, db):\n        db["demand"]\n')
    assert shared_collections({**found, "feedback": feedback_then}) == {
        "demand": ["feedback", "scheduler"]
    }


def test_api_tokens_have_one_writer_the_cli_and_every_service_only_reads_them() -> None:
    """``api_tokens`` belongs to no service: ``shared.api_tokens.TokenRegistry`` writes it and
    only the CLI's token commands use that; services read it through ``TokenLookup``."""
    users = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "services").rglob("*.py")
        if "TokenRegistry" in path.read_text()
    ]
    assert users
    assert all(u.startswith("services/cli/") for u in users), users
    assert all("api_tokens" not in names for names in collections_by_service().values())
