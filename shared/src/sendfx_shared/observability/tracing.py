"""OpenTelemetry tracing: set up once per process, exported over OTLP only when
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) is set.

Unset, no SDK is installed: the API's no-op tracer costs next to nothing and
nothing leaves the process. Set, spans go by OTLP/HTTP (protobuf) with the
standard ``OTEL_*`` variables (headers, service name, resource attributes,
sampler, batch delays), and asyncpg and PyMongo are instrumented, so each
database call is a child span.

The W3C trace context crosses process boundaries as a text carrier
(``traceparent``, ``tracestate``): stored with an outbox row
(``current_carrier``), put on the Kafka record by the relay
(``kafka_headers``), and continued by each consumer (``parent_of``).
"""

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Final

from opentelemetry import context, propagate, trace
from opentelemetry.trace import Link, Span, SpanKind

_TRACER_NAME: Final = "sendfx"
_PROPAGATED: Final = ("traceparent", "tracestate")
_MAX_LINKS: Final = 64

Carrier = dict[str, str]
KafkaHeaders = Sequence[tuple[str, bytes]]

_enabled = False


def tracing_requested() -> bool:
    """An OTLP endpoint is configured and the SDK is not disabled."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    return bool(endpoint) and os.environ.get("OTEL_SDK_DISABLED", "").lower() != "true"


def tracing_enabled() -> bool:
    return _enabled


def setup_tracing(service: str) -> bool:
    """Install the SDK with an OTLP exporter when asked; True when tracing is on.
    Once per process (the global provider can be set only once)."""
    global _enabled
    if _enabled or not tracing_requested():
        return _enabled
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    if "asyncpg" not in disabled_instrumentations():
        AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    if "pymongo" not in disabled_instrumentations():
        PymongoInstrumentor().instrument()
    _enabled = True
    return True


def disabled_instrumentations() -> set[str]:
    """``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` (the standard variable): of
    ``asyncpg``, ``pymongo``, ``fastapi``, the ones not to instrument."""
    listed = os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "")
    return {name.strip() for name in listed.split(",") if name.strip()}


def shutdown_tracing() -> None:
    """Flush what is buffered (at process exit)."""
    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if callable(shutdown):
        shutdown()


def tracer() -> trace.Tracer:
    return trace.get_tracer(_TRACER_NAME)


def current_carrier() -> Carrier | None:
    """The active trace context as a carrier to store with an outbox row, or None
    when there is none (tracing off, or no span running)."""
    if not _enabled:
        return None
    carrier: Carrier = {}
    propagate.inject(carrier)
    return carrier or None


def kafka_headers(carrier: Mapping[str, str] | None) -> list[tuple[str, bytes]]:
    if not carrier:
        return []
    return [(key, value.encode()) for key, value in carrier.items() if key in _PROPAGATED]


def carrier_of(headers: KafkaHeaders) -> Carrier:
    return {
        key.lower(): raw.decode("latin-1") for key, raw in headers if key.lower() in _PROPAGATED
    }


def parent_of(headers: KafkaHeaders) -> context.Context | None:
    """The producer's context from a record's headers (None without one)."""
    carrier = carrier_of(headers)
    return propagate.extract(carrier) if carrier else None


@contextmanager
def producing(topic: str, carrier: Mapping[str, str] | None) -> Iterator[Carrier | None]:
    """A PRODUCER span continuing the stored context; yields the carrier to send."""
    if not _enabled or not carrier:
        yield dict(carrier) if carrier else None
        return
    parent = propagate.extract(dict(carrier))
    with tracer().start_as_current_span(
        f"publish {topic}",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
    ):
        sent: Carrier = {}
        propagate.inject(sent)
        yield sent


def consumer_span(topic: str, group: str, headers_of: Sequence[KafkaHeaders]) -> Span | None:
    """A started CONSUMER span for records handled together (the caller ends it):
    the child of the first record that carries a context, linked to the others
    (a batch mixes traces). None while tracing is off."""
    if not _enabled:
        return None
    parents = [p for p in (parent_of(h) for h in headers_of) if p is not None]
    links = [Link(trace.get_current_span(p).get_span_context()) for p in parents[1:_MAX_LINKS]]
    return tracer().start_span(
        f"process {topic}",
        context=parents[0] if parents else context.Context(),
        kind=SpanKind.CONSUMER,
        links=links,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": group,
            "messaging.batch.message_count": len(headers_of),
        },
    )


@contextmanager
def within(span: Span | None, *, end: bool = False) -> Iterator[None]:
    """Run the block with ``span`` current (nothing when None)."""
    if span is None:
        yield
        return
    with trace.use_span(span, end_on_exit=end, record_exception=True):
        yield
