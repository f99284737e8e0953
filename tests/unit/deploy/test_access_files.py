"""The deployment's per-service NATS users and MongoDB roles match what the code declares, so
a new subject, consumer or collection cannot be forgotten in deploy/."""

from __future__ import annotations

import re
from typing import Any

import pytest

from services.cli.nats_permissions import publish_allowed, render
from shared.events import ALL_EVENTS
from shared.subjects import BUS_USERS, CONSUMERS
from tests.unit.deploy.support import DEPLOY, containers, k8s_object
from tests.unit.test_architecture import collections_by_service

pytestmark = pytest.mark.unit

USERS_CONF = DEPLOY / "nats" / "users.conf"
MONGO_USERS = DEPLOY / "mongodb" / "users.js"


def matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` one token, ``>`` the rest."""
    want, have = pattern.split("."), subject.split(".")
    for n, token in enumerate(want):
        if token == ">":
            return len(have) > n
        if n >= len(have) or token not in ("*", have[n]):
            return False
    return len(want) == len(have)


def test_committed_nats_users_are_the_generated_ones() -> None:
    assert USERS_CONF.read_text() == render(), (
        "run: python -m services.cli.nats_permissions --write"
    )


def test_every_consumer_belongs_to_exactly_one_service_named_in_it() -> None:
    owned = [spec for user in BUS_USERS for spec in user.consumers]
    assert sorted(s.durable for s in owned) == sorted(s.durable for s in CONSUMERS)
    for user in BUS_USERS:
        assert all(spec.durable.startswith(f"{user.service}-") for spec in user.consumers)


def test_every_event_has_exactly_one_service_allowed_to_publish_it() -> None:
    for event in ALL_EVENTS:
        publishers = [
            u.service for u in BUS_USERS if any(matches(p, event.subject) for p in u.publishes)
        ]
        assert len(publishers) == 1, (event.subject, publishers)


def test_a_service_may_pull_only_its_own_consumers() -> None:
    for user in BUS_USERS:
        allowed = publish_allowed(user)
        for spec in CONSUMERS:
            pull = f"$JS.API.CONSUMER.MSG.NEXT.{spec.stream}.{spec.durable}"
            assert (pull in allowed) == (spec in user.consumers), (user.service, spec.durable)


def mongo_roles() -> dict[str, set[str]]:
    source = MONGO_USERS.read_text()
    block = source[source.index("const owned = {") : source.index("};")]
    roles: dict[str, set[str]] = {}
    for service, names in re.findall(r"(\w+): \[([^\]]*)\]", block):
        roles[service] = set(re.findall(r'"([^"]+)"', names))
    return roles


def test_each_service_has_a_mongo_role_on_exactly_the_collections_it_writes() -> None:
    roles = mongo_roles()
    found = collections_by_service()
    assert roles.keys() == found.keys()
    for service, collections in found.items():
        # The architecture scan sees literal names; the role also lists named constants.
        assert collections <= roles[service], service
    every = [name for names in roles.values() for name in names]
    assert len(every) == len(set(every)), "a collection in two services' roles"


def test_compose_and_kubernetes_run_each_service_as_its_own_nats_user(
    services: dict[str, Any], k8s_docs: list[dict[str, Any]]
) -> None:
    nats_env = services["nats"]["environment"]
    config = k8s_object(k8s_docs, "ConfigMap", "nats-config")["data"]
    assert config["users.conf"] == render()
    assert "include ./users.conf" in config["nats-server.conf"]
    assert "include ./users.conf" in (DEPLOY / "nats" / "nats-server.conf").read_text()
    for user in BUS_USERS:
        prefix = user.service.upper()
        assert f"NATS_{prefix}_PASSWORD" in nats_env
        env = services[user.service]["environment"]
        assert env[f"{prefix}_NATS_USER"] == user.service
        assert env[f"{prefix}_NATS_PASSWORD"] == f"${{NATS_{prefix}_PASSWORD}}"
        assert env[f"{prefix}_MONGODB_USER"] == user.service
        container = containers(k8s_object(k8s_docs, "Deployment", user.service))[0]
        names = {e["name"]: e.get("value") for e in container["env"]}
        assert names[f"{prefix}_NATS_USER"] == user.service
