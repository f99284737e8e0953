"""The Grafana dashboard and the alert rules parse, are complete, and name only series the
services export, so neither can drift from the code that records them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.consumer_stats import GAUGES
from tests.unit.deploy.support import DEPLOY, ROOT

pytestmark = pytest.mark.unit

ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "slipstream.json"
RUNBOOK = ROOT / "docs" / "runbook.md"
OUR_PREFIXES = ("ingest_", "slipstream_", "notifier_", "feedback_", "scheduler_")
INSTRUMENT = re.compile(
    r"create_(counter|up_down_counter|histogram|observable_gauge|observable_counter)"
    r"\(\s*\"([a-z0-9_.]+)\"(.*?)\)",
    re.DOTALL,
)
# HotCounter(meter, "name", ...) and CountingPublisher(inner, meter, "name", ...).
HOT_COUNTER = re.compile(
    r"(?:HotCounter|CountingPublisher)\(\s*[\w.()]+,\s*(?:[\w.]+,\s*)?\"([a-z0-9_.]+)\""
)
UNIT = re.compile(r"unit=\"([^\"]+)\"")
# prometheus_client's own counters (the supervisor's textfile): Counter("name", ...).
CLIENT_COUNTER = re.compile(r"(?<![\w.])Counter\(\s*\"([a-z0-9_]+)\"")


def prometheus_names(kind: str, name: str, unit: str | None) -> set[str]:
    """The series names the OpenTelemetry Prometheus exporter writes for one instrument."""
    base = name.replace(".", "_") + ("_seconds" if unit == "s" else "")
    if kind in ("counter", "observable_counter"):
        return {f"{base}_total"}
    if kind == "histogram":
        return {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
    return {base}


def exported() -> set[str]:
    names: set[str] = set()
    for path in [*(ROOT / "shared").rglob("*.py"), *(ROOT / "services").rglob("*.py")]:
        for kind, name, rest in INSTRUMENT.findall(path.read_text()):
            unit = UNIT.search(rest)
            names |= prometheus_names(kind, name, unit.group(1) if unit else None)
        for name in HOT_COUNTER.findall(path.read_text()):
            names |= prometheus_names("counter", name, None)
        for name in CLIENT_COUNTER.findall(path.read_text()):
            names |= prometheus_names("counter", name, None)
    # Declared in a table, created in a loop.
    for name in GAUGES.values():
        names |= prometheus_names("observable_gauge", name, "{message}")
    return names


def referenced(expr: str) -> set[str]:
    unquoted = re.sub(r'"[^"]*"', "", expr)
    return {
        t for t in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", unquoted) if t.startswith(OUR_PREFIXES)
    }


def rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    doc = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in doc["panels"] for t in panel["targets"]]


def test_the_scan_sees_the_series_the_running_services_serve() -> None:
    # The e2e observability test scrapes these very names from a running stack.
    assert {
        "ingest_deliveries_total",
        "slipstream_risk_reassessment_duration_seconds_count",
        "slipstream_risk_items",
        "slipstream_consumer_pending",
        "notifier_notifications_total",
        "feedback_events_published_total",
        "slipstream_restarts_total",
    } <= exported()


def test_every_alert_is_complete_and_names_only_exported_series() -> None:
    found = rules()
    names = [rule["alert"] for rule in found]
    assert len(names) == len(set(names))
    for rule in found:
        assert rule["expr"].strip(), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("info", "warning", "critical")
        assert {"summary", "description", "runbook"} <= rule["annotations"].keys()
        metrics = referenced(rule["expr"])
        assert metrics, f"{rule['alert']} names none of our series"
        assert metrics <= exported(), f"{rule['alert']}: {metrics - exported()}"


def test_every_alert_has_its_runbook_section() -> None:
    headings = {
        line.removeprefix("### ").strip().lower()
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("### ")
    }
    for rule in rules():
        assert rule["annotations"]["runbook"] == f"docs/runbook.md#{rule['alert'].lower()}"
        assert rule["alert"].lower() in headings


def test_every_dashboard_panel_queries_exported_series() -> None:
    exprs = dashboard_exprs()
    assert exprs
    for expr in exprs:
        metrics = referenced(expr)
        assert metrics, expr
        assert metrics <= exported(), f"{expr}: {metrics - exported()}"


def test_the_alerts_cover_lag_dead_letters_503s_and_notification_failures() -> None:
    used = set().union(*(referenced(rule["expr"]) for rule in rules()))
    assert {
        "slipstream_consumer_pending",
        "slipstream_consumer_dead_letters",
        "ingest_deliveries_total",
        "notifier_notifications_total",
    } <= used


def test_dashboard_ids_and_positions_are_unique() -> None:
    panels = json.loads(Path(DASHBOARD).read_text())["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    assert len({(p["gridPos"]["x"], p["gridPos"]["y"]) for p in panels}) == len(panels)
