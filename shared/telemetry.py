"""Traces, metrics and structured logs for one service process.

Nothing here is global: ``Telemetry.start`` builds providers from settings and hands them to
whoever needs them (broker middleware, HTTP middleware, Mongo listener). Traces go over OTLP
when an endpoint is configured, to the console when asked, and nowhere otherwise. Metrics are
always kept, in a registry of this process's own that ``/metrics`` renders in Prometheus's
text format, and are also pushed over OTLP when an endpoint is configured.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Meter, MeterProvider, Observation
from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from prometheus_client import CollectorRegistry, generate_latest

from shared.settings import ServiceSettings

# Every duration we record is in seconds (the SDK's default buckets are sized for ms).
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SECONDS = View(instrument_unit="s", aggregation=ExplicitBucketHistogramAggregation(SECONDS_BUCKETS))


@dataclass
class Telemetry:
    service_name: str
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    # What ``/metrics`` renders; ``None`` only for a Telemetry built by hand in a test.
    registry: CollectorRegistry | None = None

    @classmethod
    def start(
        cls, settings: ServiceSettings, extra_processors: tuple[SpanProcessor, ...] = ()
    ) -> Telemetry:
        resource = Resource.create({"service.name": settings.service_name})
        tracer_provider = TracerProvider(resource=resource)
        registry = CollectorRegistry()
        # Scope labels would only repeat the service name on every series.
        readers: list[MetricReader] = [
            PrometheusMetricReader(registry=registry, scope_info_enabled=False)
        ]
        if settings.otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter,
            )
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            base = settings.otlp_endpoint.rstrip("/")
            exporter = OTLPSpanExporter(endpoint=f"{base}/v1/traces")
            tracer_provider.add_span_processor(
                BatchSpanProcessor(exporter, schedule_delay_millis=500)
            )
            readers.append(
                PeriodicExportingMetricReader(
                    OTLPMetricExporter(endpoint=f"{base}/v1/metrics"),
                    export_interval_millis=15_000,
                )
            )
        meter_provider = SdkMeterProvider(
            resource=resource, metric_readers=readers, views=[SECONDS]
        )
        if settings.console_traces:
            tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        for processor in extra_processors:
            tracer_provider.add_span_processor(processor)
        configure_logging(settings)
        return cls(settings.service_name, tracer_provider, meter_provider, registry)

    @property
    def tracer(self) -> trace.Tracer:
        return self.tracer_provider.get_tracer(f"slipstream.{self.service_name}")

    @property
    def meter(self) -> Meter:
        return self.meter_provider.get_meter(f"slipstream.{self.service_name}")

    def prometheus_text(self) -> bytes:
        """Every metric of this process, collected now, in Prometheus's text format."""
        return b"" if self.registry is None else generate_latest(self.registry)

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        if isinstance(self.meter_provider, SdkMeterProvider):
            self.meter_provider.shutdown()


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, carrying the current trace and span ids when there is one."""

    def __init__(self, service_name: str) -> None:
        super().__init__()
        self.service_name = service_name

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "service": self.service_name,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(settings: ServiceSettings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        handler.setFormatter(JsonLogFormatter(settings.service_name))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # The driver's DEBUG lines carry whole commands and replies, people's Slack URLs and
    # signing secrets included: never below INFO, whatever the service's level.
    logging.getLogger("pymongo").setLevel(max(logging.INFO, root.level))
    # httpx logs every request's full URL at INFO, and a Slack webhook URL is a credential;
    # the client spans already say what was called (by host) and how it went.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


def log_fields(**fields: Any) -> dict[str, Any]:
    """``logger.info("...", extra=log_fields(item_id=...))`` puts the fields in the JSON line."""
    return {"fields": fields}


class HotCounter:
    """A monotonic counter for a hot path: a dict increment per call, read on collection.

    The SDK's ``Counter.add`` validates and hashes the attributes on every call, tens of
    microseconds on a busy machine; a request path that counts every request pays that each
    time. Here the caller's attributes are a tuple of values in ``keys`` order, and the SDK
    only sees them when a reader collects (an observable counter, same name and meaning).
    """

    def __init__(self, meter: Meter, name: str, keys: tuple[str, ...], description: str) -> None:
        self.keys = keys
        self.counts: dict[tuple[str, ...], int] = {}
        meter.create_observable_counter(name, callbacks=[self._observe], description=description)

    def add(self, values: tuple[str, ...]) -> None:
        self.counts[values] = self.counts.get(values, 0) + 1

    def _observe(self, _: CallbackOptions) -> list[Observation]:
        # A copy: an OTLP reader collects from its own thread.
        counts = dict(self.counts)
        return [Observation(n, dict(zip(self.keys, v, strict=True))) for v, n in counts.items()]
