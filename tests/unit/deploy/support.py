"""Helpers for checking that the deployment files keep the design's promises, without Docker.

docker-compose.yml must satisfy the vendored Compose Specification schema, then what no schema
knows (start order, fsync-always NATS, replica sets, one image); deploy/ must parse and run the
services the same way. `docker compose config` (Compose v2) would also check interpolation but
is a CLI plugin CI lacks; Debian bookworm's `docker-compose` is the retired v1 (1.29) with an
older schema. Neither is relied on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec" / "compose-spec.json"
APP_PORTS = {"ingest": 8080, "scheduler": 8081, "feedback": 8082, "notifier": 8083}
K8S_APP_IMAGE = "slipstream"  # the Dockerfile's image; kustomization.yaml maps it to a registry


def load_compose() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(doc, dict)
    return doc


def compose_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator: jsonschema.protocols.Validator = validator_class(schema)
    return validator


def k8s_object(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"]
    return containers


def mounted_host_file(service: dict[str, Any], container_path: str) -> Path:
    volume: str
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if target == container_path:
            return ROOT / source
    raise AssertionError(f"nothing mounted at {container_path}")
