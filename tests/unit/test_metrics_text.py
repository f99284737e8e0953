"""What /metrics renders: the process's own registry, in Prometheus's text format."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.consumer_stats import ConsumerStats
from shared.settings import ServiceSettings
from shared.subjects import NOTIFIER_RISK
from shared.telemetry import HotCounter, Telemetry

pytestmark = pytest.mark.unit


def samples(telemetry: Telemetry) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(telemetry.prometheus_text().decode()):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def started(name: str) -> Telemetry:
    return Telemetry.start(ServiceSettings(service_name=name, log_json=False))


def test_a_hot_counter_renders_as_a_prometheus_counter_by_its_attributes() -> None:
    telemetry = started("unit-hot")
    counter = HotCounter(telemetry.meter, "ingest.deliveries", ("source", "outcome"), "d")
    counter.add(("github", "accepted"))
    counter.add(("github", "accepted"))
    counter.add(("jira", "bad_signature"))

    found = samples(telemetry)["ingest_deliveries_total"]

    assert sorted((labels["source"], labels["outcome"], v) for labels, v in found) == [
        ("github", "accepted", 2.0),
        ("jira", "bad_signature", 1.0),
    ]


def test_durations_get_buckets_sized_for_seconds() -> None:
    telemetry = started("unit-seconds")
    telemetry.meter.create_histogram("slipstream.risk.reassessment.duration", unit="s").record(
        0.004, {"trigger": "events"}
    )

    buckets = samples(telemetry)["slipstream_risk_reassessment_duration_seconds_bucket"]

    counts = {labels["le"]: value for labels, value in buckets}
    assert counts["0.0025"] == 0
    assert counts["0.005"] == 1


def test_consumer_gauges_report_what_jetstream_last_said_and_nothing_before() -> None:
    telemetry = started("unit-consumers")
    stats = ConsumerStats(telemetry.meter, [NOTIFIER_RISK])
    assert "slipstream_consumer_pending" not in samples(telemetry)

    stats.latest["pending"][NOTIFIER_RISK.durable] = 7
    stats.latest["dead_letters"][NOTIFIER_RISK.durable] = 1
    found = samples(telemetry)

    labels = {"consumer": "notifier-risk", "stream": "RISK"}
    assert found["slipstream_consumer_pending"] == [(labels, 7.0)]
    assert found["slipstream_consumer_dead_letters"] == [(labels, 1.0)]


def test_separate_processes_keep_separate_registries() -> None:
    one, other = started("unit-one"), started("unit-other")
    HotCounter(one.meter, "ingest.deliveries", ("source", "outcome"), "d").add(("a", "b"))

    assert "ingest_deliveries_total" in samples(one)
    assert "ingest_deliveries_total" not in samples(other)
