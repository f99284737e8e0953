"""The one image and the Kubernetes manifests under deploy/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.cli.stack import LINKS, READS
from tests.unit.deploy.support import (
    APP_PORTS,
    DEPLOY,
    K8S,
    K8S_APP_IMAGE,
    ROOT,
    containers,
    k8s_object,
)

pytestmark = pytest.mark.unit


# --- Dockerfile ---------------------------------------------------------------------------


def test_dockerfile_builds_one_slim_non_root_image_without_dev_dependencies() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert bases
    assert all(base.startswith("python:3.11-slim") for base in bases)
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
    installs = re.findall(r"^RUN\s.*pip install\s+(.+)$", dockerfile, re.M)
    assert installs == ["."], "install the project itself, without the [test] extra"
    assert re.search(r"^HEALTHCHECK\b.*urllib", dockerfile, re.M | re.S)
    assert re.search(r'^CMD \["python", "-m", "services\.\w+"\]', dockerfile, re.M)


def test_dockerfile_copies_sources_that_exist_and_are_not_ignored() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    ignored = {
        line.strip()
        for line in (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for args in re.findall(r"^COPY\s+(?!--from)(.+)$", dockerfile, re.M):
        for source in args.split()[:-1]:
            assert source not in ignored, source
            # README.md belongs to the project README's author; only the code is checked here.
            if source != "README.md":
                assert (ROOT / source).exists(), source


# --- deploy/ ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", sorted(DEPLOY.rglob("*.yaml")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_yaml_file_under_deploy_parses(path: Path) -> None:
    docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert docs
    assert all(isinstance(doc, dict) for doc in docs)


def test_kustomization_lists_every_manifest_and_maps_the_app_image() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    assert [image["name"] for image in kustomization["images"]] == [K8S_APP_IMAGE]


@pytest.mark.parametrize(("name", "port"), APP_PORTS.items())
def test_each_k8s_service_runs_replicas_of_the_one_image_with_probes(
    k8s_docs: list[dict[str, Any]], name: str, port: int
) -> None:
    deployment = k8s_object(k8s_docs, "Deployment", name)
    assert deployment["spec"]["replicas"] >= 2
    (container,) = containers(deployment)
    assert container["image"] == K8S_APP_IMAGE
    assert container["command"] == ["python", "-m", f"services.{name}"]
    (container_port,) = container["ports"]
    assert container_port["containerPort"] == port
    readiness = container["readinessProbe"]["httpGet"]
    liveness = container["livenessProbe"]["httpGet"]
    assert readiness["path"] == "/readyz"
    assert liveness["path"] == "/healthz"
    assert readiness["port"] == liveness["port"] == container_port["name"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env[f"{name.upper()}_PORT"] == str(port)
    assert env[f"{name.upper()}_HOST"] == "0.0.0.0"
    config_maps = [s["configMapRef"]["name"] for s in container["envFrom"] if "configMapRef" in s]
    assert config_maps == ["slipstream-env"]
    # Another service's API by its Service name (as `slipstream up` fills in), not loopback.
    for setting, (service, _) in READS.get(name, {}).items():
        assert env[setting] == f"http://{service}:{APP_PORTS[service]}"
    for setting in LINKS.get(name, {}):
        assert env[setting].startswith("https://"), "people open the dashboard over TLS"


def test_cluster_streams_are_replicated_three_ways(k8s_docs: list[dict[str, Any]]) -> None:
    env = k8s_object(k8s_docs, "ConfigMap", "slipstream-env")["data"]
    assert env["NATS_STREAM_REPLICAS"] == "3"
    assert env["NATS_URL"] == "nats://nats:4222"
    k8s_object(k8s_docs, "Service", "nats")
    nats = k8s_object(k8s_docs, "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    config = k8s_object(k8s_docs, "ConfigMap", "nats-config")["data"]["nats-server.conf"]
    assert re.search(r"jetstream\s*\{", config)
    routes = set(re.findall(r"nats://(nats-\d)\.nats-headless:6222", config))
    assert routes == {"nats-0", "nats-1", "nats-2"}
    assert nats["spec"]["serviceName"] == "nats-headless"
    k8s_object(k8s_docs, "Service", "nats-headless")


def test_mongodb_is_a_three_member_replica_set(k8s_docs: list[dict[str, Any]]) -> None:
    mongodb = k8s_object(k8s_docs, "StatefulSet", "mongodb")
    assert mongodb["spec"]["replicas"] == 3
    command = containers(mongodb)[0]["command"]
    assert command[command.index("--replSet") + 1] == "rs0"
    init = " ".join(containers(k8s_object(k8s_docs, "Job", "mongodb-rs-init"))[0]["command"])
    members = set(re.findall(r"host: '(mongodb-\d)\.mongodb:27017'", init))
    assert members == {"mongodb-0", "mongodb-1", "mongodb-2"}
    url = k8s_object(k8s_docs, "ConfigMap", "slipstream-env")["data"]["MONGODB_URL"]
    assert "replicaSet=rs0" in url
    assert set(re.findall(r"(mongodb-\d)\.mongodb:27017", url)) == members


def test_k8s_infrastructure_uses_the_images_compose_uses(
    k8s_docs: list[dict[str, Any]], services: dict[str, Any]
) -> None:
    workloads = [d for d in k8s_docs if d["kind"] in {"Deployment", "StatefulSet", "Job"}]
    compose_images = {s["image"] for n, s in services.items() if n not in APP_PORTS}
    for workload in workloads:
        for container in containers(workload):
            assert container["image"] in compose_images | {K8S_APP_IMAGE}, container["image"]


def test_every_long_running_k8s_container_has_both_probes(
    k8s_docs: list[dict[str, Any]],
) -> None:
    workloads = [d for d in k8s_docs if d["kind"] in {"Deployment", "StatefulSet"}]
    assert len(workloads) == len(APP_PORTS) + 2
    for workload in workloads:
        for container in containers(workload):
            port_names = {p.get("name") for p in container["ports"]}
            for probe in ("readinessProbe", "livenessProbe"):
                assert probe in container, (workload["metadata"]["name"], probe)
                http = container[probe].get("httpGet")
                if http:
                    assert http["port"] in port_names
