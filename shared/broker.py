"""The NATS broker every service uses, and the JetStream topology it expects.

Streams and consumers are declared explicitly (from ``shared.subjects``) rather than implicitly
by whichever subscriber starts first, so replicas, retention and dedupe windows are the same
whoever boots first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from faststream.nats import NatsBroker
from faststream.security import SASLPlaintext
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from shared.messaging import SemconvTelemetryMiddleware
from shared.settings import ServiceSettings
from shared.subjects import STREAMS, ConsumerSpec, StreamSpec
from shared.telemetry import Telemetry

logger = logging.getLogger(__name__)


def create_broker(settings: ServiceSettings, telemetry: Telemetry) -> NatsBroker:
    middleware = SemconvTelemetryMiddleware(telemetry.tracer_provider, telemetry.meter_provider)
    security = None
    if settings.nats_user:
        password = settings.nats_password.get_secret_value() if settings.nats_password else ""
        # TLS follows the URL's scheme (tls://); see deploy/README.md.
        security = SASLPlaintext(username=settings.nats_user, password=password)
    return NatsBroker(
        # A cluster is several comma-separated URLs; the client fails over among them.
        settings.nats_url.split(","),
        security=security,
        name=f"slipstream-{settings.service_name}",
        middlewares=(middleware,),
        # Keep retrying while NATS restarts; readiness reports the outage meanwhile.
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        # Not under "faststream": that logger has FastStream's own coloured handler and does
        # not propagate, so its lines (a subscriber's task ending at shutdown) skipped the
        # service's JSON log format and its trace ids.
        logger=logging.getLogger("shared.broker.faststream"),
        # FastStream's "Received" / "Processed" line per message, unstructured and without a
        # trace id, was most of every log and a few percent of a busy service's CPU: at DEBUG,
        # it is there when asked for. Spans, metrics and the services' own logs tell the rest.
        log_level=logging.DEBUG,
    )


def stream_config(spec: StreamSpec, replicas: int) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        subjects=list(spec.subjects),
        description=spec.description,
        storage=StorageType.FILE,
        num_replicas=replicas,
        max_age=spec.max_age_seconds,
        duplicate_window=spec.duplicate_window_seconds,
        # Left out unless asked for, as a server before 2.12 knows no such field.
        allow_atomic=True if spec.atomic else None,
    )


def consumer_config(spec: ConsumerSpec) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=spec.durable,
        filter_subject=spec.filter_subject,
        max_deliver=spec.max_deliver,
        ack_wait=spec.ack_wait_seconds,
    )


async def ensure_streams(
    js: JetStreamContext,
    replicas: int,
    overrides: Sequence[StreamSpec] = (),
    service: str | None = None,
) -> None:
    """Create or update every stream; safe to run from every replica at every start.

    ``overrides`` replace the declared spec of the same name (a service's configured retention
    or dedupe window). An existing stream with an owner is updated only by that service, so a
    restart of another service does not put back the defaults.
    """
    replaced = {spec.name: spec for spec in overrides}
    for declared in STREAMS:
        spec = replaced.get(declared.name, declared)
        config = stream_config(spec, replicas)
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
            logger.info("stream created", extra={"fields": {"stream": spec.name}})
            continue
        if spec.owner is not None and spec.owner != service:
            continue
        try:
            await js.update_stream(config)
        except BadRequestError as exc:
            # Some fields (storage, replicas on a single node) cannot change in place; the
            # stream still works, so say so instead of refusing to start.
            logger.warning(
                "stream config not updated",
                extra={"fields": {"stream": spec.name, "error": str(exc)}},
            )
