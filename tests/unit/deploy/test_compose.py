"""docker-compose.yml against the Compose Specification schema, then what no schema knows."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from services.cli.stack import LINKS, READS
from shared.settings import ServiceSettings
from tests.unit.deploy.support import (
    APP_PORTS,
    ROOT,
    compose_validator,
    load_compose,
    mounted_host_file,
)

pytestmark = pytest.mark.unit


# --- docker-compose.yml: the schema -------------------------------------------------------


def test_compose_file_satisfies_the_compose_spec_schema() -> None:
    errors = [
        f"{e.json_path}: {e.message}" for e in compose_validator().iter_errors(load_compose())
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
    broken = load_compose()
    node = broken["services"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert not compose_validator().is_valid(broken)


# --- docker-compose.yml: the four services ------------------------------------------------


def test_the_four_services_share_one_build_and_image(services: dict[str, Any]) -> None:
    builds = {json.dumps(services[name]["build"], sort_keys=True) for name in APP_PORTS}
    images = {services[name]["image"] for name in APP_PORTS}
    assert len(builds) == 1
    assert len(images) == 1
    build = services["ingest"]["build"]
    assert (
        ROOT / build["context"] / build["dockerfile"]
    ).resolve() == ROOT / "deploy" / "Dockerfile"


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


@pytest.mark.parametrize("reader", sorted(READS))
def test_a_service_reading_anothers_api_is_pointed_at_it_not_at_loopback(
    services: dict[str, Any], reader: str
) -> None:
    # The same table `slipstream up` fills in; inside a container 127.0.0.1 is itself.
    env = services[reader]["environment"]
    for setting, (service, token) in READS[reader].items():
        assert env[setting] == f"http://{service}:{APP_PORTS[service]}"
        assert token in env, f"{reader} needs a read token for {service}"
    for setting in LINKS.get(reader, {}):
        assert env[setting].startswith("${SLIPSTREAM_DASHBOARD_URL:-http"), env[setting]


# --- docker-compose.yml: infrastructure ---------------------------------------------------


def test_nats_runs_jetstream_with_fsync_always_on_a_volume(services: dict[str, Any]) -> None:
    nats = services["nats"]
    assert nats["image"].startswith("nats:")
    assert "-js" in nats["command"]
    config_path = nats["command"][nats["command"].index("--config") + 1]
    config = mounted_host_file(nats, config_path).read_text()
    jetstream = re.search(r"jetstream\s*\{(.*?)\}", config, re.S)
    assert jetstream, "no jetstream block"
    assert re.search(r"^\s*sync_interval:\s*always\s*$", jetstream.group(1), re.M)
    store_dir = re.search(r"store_dir:\s*(\S+)", jetstream.group(1))
    assert store_dir
    data_volumes = {v.split(":")[1]: v.split(":")[0] for v in nats["volumes"]}
    assert any(store_dir.group(1).startswith(target) for target in data_volumes)
    assert set(data_volumes.values()) & set(load_compose()["volumes"])
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
    config = yaml.safe_load(mounted_host_file(collector, config_arg.split("=", 1)[1]).read_text())
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
