"""Every Prometheus metric the shared libraries record, defined once.

All live in prometheus_client's default registry, which each service serves at
``/metrics``. Labels are bounded by construction: HTTP methods, route
templates (never raw paths) and status codes; topics, consumer groups and
partitions (a deployment has a handful); outbox names; fixed reason kinds.
Never a workspace, user or event id.
"""

from typing import Final

from prometheus_client import Counter, Histogram

# HTTP (the middleware in ``metrics``)
HTTP_REQUESTS: Final = Counter(
    "sendfx_http_requests",
    "HTTP requests answered, by method, route template and status code",
    ["method", "route", "status"],
)
HTTP_DURATION: Final = Histogram(
    "sendfx_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

# Kafka consumers (``sendfx_shared.consume``); lag and paused are read at
# scrape time by ``metrics.ConsumerCollector``.
CONSUMED: Final = Counter(
    "sendfx_consumer_messages", "Kafka records handled by a consumer group", ["group", "topic"]
)
_CONSUMER_LABELS: Final = ("group", "topic")
BATCH_SIZE: Final = Histogram(
    "sendfx_consumer_batch_size",
    "Records per handled batch (one partition's part of a poll)",
    _CONSUMER_LABELS,
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000),
)
PROCESSING: Final = Histogram(
    "sendfx_consumer_processing_seconds",
    "Time to handle one batch, from decode to stored",
    _CONSUMER_LABELS,
    buckets=tuple(b / 1000 for b in (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)),
)
DEAD_LETTERED: Final = Counter(
    "sendfx_dlq_messages",
    "Records sent to a dead-letter topic, by original topic and kind of reason",
    ["topic", "reason"],
)

# Outboxes (``sendfx_shared.outbox``); backlog and age are sampled by the relay.
OUTBOX_SENT: Final = Counter(
    "sendfx_outbox_sent", "Outbox rows the broker acknowledged", ["outbox"]
)
OUTBOX_DEAD: Final = Counter(
    "sendfx_outbox_dead", "Outbox rows given up on and moved to the dead table", ["outbox"]
)

# Stores refusing a process (``sendfx_shared.refusals``)
STORE_REFUSALS: Final = Counter(
    "sendfx_store_refusals",
    "Operations a store refused this process for lack of privilege",
    ["process", "store", "operation"],
)
