"""Fixtures for the deployment-file checks."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.unit.deploy.support import K8S, load_compose


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    services: dict[str, Any] = load_compose()["services"]
    return services


@pytest.fixture(scope="module")
def k8s_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs
