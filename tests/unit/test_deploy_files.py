"""The deployment files keep the design's promises, checked without a Docker engine.

docker-compose.yml must satisfy the vendored Compose Specification schema, then what no schema
knows (start order, fsync-always NATS, replica sets, one image); deploy/ must parse and run the
services the same way. `docker compose config` (Compose v2) would also check interpolation but
is a CLI plugin CI lacks; Debian bookworm's `docker-compose` is the retired v1 (1.29) with an
older schema. Neither is relied on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from shared.settings import ServiceSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec" / "compose-spec.json"
APP_PORTS = {"ingest": 8080, "scheduler": 8081, "feedback": 8082, "notifier": 8083}
K8S_APP_IMAGE = "slipstream"  # the Dockerfile's image; kustomization.yaml maps it to a registry


def _load_compose() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(doc, dict)
    return doc


def _compose_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator: jsonschema.protocols.Validator = validator_class(schema)
    return validator


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    services: dict[str, Any] = _load_compose()["services"]
    return services


@pytest.fixture(scope="module")
def k8s_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def _k8s(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"]
    return containers


def _mounted_host_file(service: dict[str, Any], container_path: str) -> Path:
    volume: str
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if target == container_path:
            return ROOT / source
    raise AssertionError(f"nothing mounted at {container_path}")


# --- docker-compose.yml: the schema -------------------------------------------------------


def test_compose_file_satisfies_the_compose_spec_schema() -> None:
    errors = [
        f"{e.json_path}: {e.message}" for e in _compose_validator().iter_errors(_load_compose())
    ]
    assert errors == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("ingest", "healthchek"), {"test": ["CMD", "true"]}),
        (("notifier", "depends_on", "nats", "condition"), "service_ready"),
    ],
    ids=["misspelt-key", "unknown-condition"],
)
def test_schema_check_rejects_a_broken_compose_file(path: tuple[str, ...], value: Any) -> None:
    # Guards against a schema that accepts anything (e.g. a broken vendored copy).
    broken = _load_compose()
    node = broken["services"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert not _compose_validator().is_valid(broken)


# --- docker-compose.yml: the four services ------------------------------------------------


def test_the_four_services_share_one_build_and_image(services: dict[str, Any]) -> None:
    builds = {json.dumps(services[name]["build"], sort_keys=True) for name in APP_PORTS}
    images = {services[name]["image"] for name in APP_PORTS}
    assert len(builds) == 1
    assert len(images) == 1
    build = services["ingest"]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).resolve() == ROOT / "deploy" / "Dockerfile"


@pytest.mark.parametrize(("name", "port"), APP_PORTS.items())
def test_each_service_runs_its_module_on_its_port_and_checks_readiness_there(
    services: dict[str, Any], name: str, port: int
) -> None:
    service = services[name]
    prefix = name.upper()
    assert service["command"] == ["python", "-m", f"services.{name}"]
    assert service["ports"] == [f"{port}:{port}"]
    assert service["environment"][f"{prefix}_PORT"] == str(port)
    # Bound to all interfaces, or nothing outside the container can reach it.
    assert service["environment"][f"{prefix}_HOST"] == "0.0.0.0"
    assert service["healthcheck"]["test"][0] == "CMD"
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])


@pytest.mark.parametrize("name", APP_PORTS)
def test_each_service_starts_after_and_points_at_healthy_infrastructure(
    services: dict[str, Any], name: str
) -> None:
    depends_on = services[name]["depends_on"]
    assert depends_on["nats"]["condition"] == "service_healthy"
    assert depends_on["mongodb"]["condition"] == "service_healthy"
    assert "otel-collector" in depends_on
    assert set(depends_on) <= set(services)
    env = services[name]["environment"]
    assert env["NATS_URL"] == "nats://nats:4222"
    assert env["MONGODB_URL"].startswith("mongodb://mongodb:27017/")
    assert "replicaSet=rs0" in env["MONGODB_URL"]
    assert env["NATS_STREAM_REPLICAS"] == "1"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"


def test_shared_environment_names_are_ones_the_settings_read(services: dict[str, Any]) -> None:
    known = {
        alias
        for field in ServiceSettings.model_fields.values()
        if field.validation_alias is not None
        for alias in getattr(field.validation_alias, "choices", [field.validation_alias])
    }
    prefixed = re.compile(r"^(INGEST|SCHEDULER|FEEDBACK|NOTIFIER)_[A-Z_]+$")
    for name in APP_PORTS:
        unknown = [k for k in services[name]["environment"] if k not in known]
        assert all(prefixed.match(k) for k in unknown), unknown


def test_ingest_and_notifier_receive_their_secrets(services: dict[str, Any]) -> None:
    ingest = services["ingest"]["environment"]
    for source in ("GITHUB", "JIRA", "LINEAR", "ZENDESK", "INTERCOM", "CANNY", "STANDARD"):
        assert f"INGEST_{source}_SECRET" in ingest
    notifier = services["notifier"]["environment"]
    assert {"NOTIFIER_WEBHOOK_URL", "NOTIFIER_WEBHOOK_SECRET"} <= notifier.keys()


# --- docker-compose.yml: infrastructure ---------------------------------------------------


def test_nats_runs_jetstream_with_fsync_always_on_a_volume(services: dict[str, Any]) -> None:
    nats = services["nats"]
    assert nats["image"].startswith("nats:")
    assert "-js" in nats["command"]
    config_path = nats["command"][nats["command"].index("--config") + 1]
    config = _mounted_host_file(nats, config_path).read_text()
    jetstream = re.search(r"jetstream\s*\{(.*?)\}", config, re.S)
    assert jetstream, "no jetstream block"
    assert re.search(r"^\s*sync_interval:\s*always\s*$", jetstream.group(1), re.M)
    store_dir = re.search(r"store_dir:\s*(\S+)", jetstream.group(1))
    assert store_dir
    data_volumes = {v.split(":")[1]: v.split(":")[0] for v in nats["volumes"]}
    assert any(store_dir.group(1).startswith(target) for target in data_volumes)
    assert set(data_volumes.values()) & set(_load_compose()["volumes"])
    assert "js-enabled-only=true" in " ".join(nats["healthcheck"]["test"])


def test_mongodb_runs_a_replica_set_its_healthcheck_initiates(
    services: dict[str, Any],
) -> None:
    mongodb = services["mongodb"]
    assert mongodb["image"].startswith("mongo:")
    command = mongodb["command"]
    assert command[command.index("--replSet") + 1] == "rs0"
    probe = " ".join(mongodb["healthcheck"]["test"])
    # Idempotent: initiate only when rs.status() says the set is not initiated yet.
    assert re.search(r"try\s*\{\s*rs\.status\(\)\s*\}\s*catch", probe)
    assert "rs.initiate" in probe
    assert "_id: 'rs0'" in probe
    assert "host: 'mongodb:27017'" in probe
    assert "isWritablePrimary" in probe


def test_collector_takes_otlp_and_sends_traces_to_the_trace_ui(
    services: dict[str, Any],
) -> None:
    collector = services["otel-collector"]
    assert collector["image"].startswith("otel/opentelemetry-collector-contrib:")
    config_arg = next(a for a in collector["command"] if a.startswith("--config="))
    config = yaml.safe_load(_mounted_host_file(collector, config_arg.split("=", 1)[1]).read_text())
    assert {"grpc", "http"} <= config["receivers"]["otlp"]["protocols"].keys()
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    traces = config["service"]["pipelines"]["traces"]
    assert "otlp" in traces["receivers"]
    endpoints = [config["exporters"][name]["endpoint"] for name in traces["exporters"]]
    assert endpoints == ["jaeger:4317"]
    jaeger = services["jaeger"]
    assert jaeger["image"].startswith("jaegertracing/all-in-one:")
    assert "16686:16686" in jaeger["ports"]


def test_every_third_party_image_is_pinned(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if name in APP_PORTS:
            continue
        image = service["image"]
        assert ":" in image, name
        assert not image.endswith(":latest"), name


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
    deployment = _k8s(k8s_docs, "Deployment", name)
    assert deployment["spec"]["replicas"] >= 2
    (container,) = _containers(deployment)
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


def test_cluster_streams_are_replicated_three_ways(k8s_docs: list[dict[str, Any]]) -> None:
    env = _k8s(k8s_docs, "ConfigMap", "slipstream-env")["data"]
    assert env["NATS_STREAM_REPLICAS"] == "3"
    assert env["NATS_URL"] == "nats://nats:4222"
    _k8s(k8s_docs, "Service", "nats")
    nats = _k8s(k8s_docs, "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    config = _k8s(k8s_docs, "ConfigMap", "nats-config")["data"]["nats-server.conf"]
    assert re.search(r"jetstream\s*\{", config)
    routes = set(re.findall(r"nats://(nats-\d)\.nats-headless:6222", config))
    assert routes == {"nats-0", "nats-1", "nats-2"}
    assert nats["spec"]["serviceName"] == "nats-headless"
    _k8s(k8s_docs, "Service", "nats-headless")


def test_mongodb_is_a_three_member_replica_set(k8s_docs: list[dict[str, Any]]) -> None:
    mongodb = _k8s(k8s_docs, "StatefulSet", "mongodb")
    assert mongodb["spec"]["replicas"] == 3
    command = _containers(mongodb)[0]["command"]
    assert command[command.index("--replSet") + 1] == "rs0"
    init = " ".join(_containers(_k8s(k8s_docs, "Job", "mongodb-rs-init"))[0]["command"])
    members = set(re.findall(r"host: '(mongodb-\d)\.mongodb:27017'", init))
    assert members == {"mongodb-0", "mongodb-1", "mongodb-2"}
    url = _k8s(k8s_docs, "ConfigMap", "slipstream-env")["data"]["MONGODB_URL"]
    assert "replicaSet=rs0" in url
    assert set(re.findall(r"(mongodb-\d)\.mongodb:27017", url)) == members


def test_k8s_infrastructure_uses_the_images_compose_uses(
    k8s_docs: list[dict[str, Any]], services: dict[str, Any]
) -> None:
    workloads = [d for d in k8s_docs if d["kind"] in {"Deployment", "StatefulSet", "Job"}]
    compose_images = {s["image"] for n, s in services.items() if n not in APP_PORTS}
    for workload in workloads:
        for container in _containers(workload):
            assert container["image"] in compose_images | {K8S_APP_IMAGE}, container["image"]


def test_every_long_running_k8s_container_has_both_probes(
    k8s_docs: list[dict[str, Any]],
) -> None:
    workloads = [d for d in k8s_docs if d["kind"] in {"Deployment", "StatefulSet"}]
    assert len(workloads) == len(APP_PORTS) + 2
    for workload in workloads:
        for container in _containers(workload):
            port_names = {p.get("name") for p in container["ports"]}
            for probe in ("readinessProbe", "livenessProbe"):
                assert probe in container, (workload["metadata"]["name"], probe)
                http = container[probe].get("httpGet")
                if http:
                    assert http["port"] in port_names
