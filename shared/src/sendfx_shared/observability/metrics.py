"""Serving and collecting the metrics: ``/metrics``, the HTTP middleware, and
what is read at scrape time (consumer lag and paused state).

Counters and histograms live in ``catalog``; this module adds the parts that
need a live object. Consumer lag per partition is the broker's high
watermark (known from the consumer's last fetch, no extra request) minus the
offset the consumer has handled. A consumer is *paused* while it waits to
reconnect after a failure, while its owner says so (the ingestor retrying a
store that is away), or when no fetch has been answered for
``stall_seconds`` (the broker unreachable: aiokafka retries quietly).
"""

import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sendfx_shared.observability.catalog import HTTP_DURATION, HTTP_REQUESTS

METRICS_PATH: Final = "/metrics"
UNMATCHED_ROUTE: Final = "unmatched"

OUTBOX_BACKLOG: Final = Gauge("sendfx_outbox_backlog", "Outbox rows not sent yet", ["outbox"])
OUTBOX_OLDEST_AGE: Final = Gauge(
    "sendfx_outbox_oldest_unsent_age_seconds",
    "Age of the oldest outbox row not sent yet (0 when none waits)",
    ["outbox"],
)


class HttpMetrics:
    """ASGI middleware: requests by method, route template and status, and their
    duration. The template (``/api/workspaces/{workspace_id}``) comes from the
    route that matched, so ids never become label values."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            method = scope["method"]
            HTTP_REQUESTS.labels(method, template, str(status)).inc()
            HTTP_DURATION.labels(method, template).observe(time.perf_counter() - started)


def install_metrics(app: FastAPI) -> None:
    """``/metrics`` (Prometheus text format) and the HTTP middleware."""
    app.add_middleware(HttpMetrics)

    @app.get(METRICS_PATH, include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def record_backlog(outbox: str, count: int, oldest_age_seconds: float | None) -> None:
    OUTBOX_BACKLOG.labels(outbox).set(count)
    OUTBOX_OLDEST_AGE.labels(outbox).set(max(0.0, oldest_age_seconds or 0.0))


@dataclass(eq=False)
class ConsumerProgress:
    """What a running consumer exposes at scrape time."""

    group: str
    topic: str
    stall_seconds: float = 10.0
    consumer: AIOKafkaConsumer | None = None
    # partition -> next offset not yet handled (stored and committed)
    handled: dict[TopicPartition, int] = field(default_factory=dict)
    reconnecting: bool = False
    paused_by_owner: Callable[[], bool] | None = None
    last_fetch: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        _LIVE.add(self)

    def close(self) -> None:
        """The consumer stopped: its series leave ``/metrics``."""
        _LIVE.discard(self)
        self.consumer = None

    def lags(self) -> Iterable[tuple[int, int]]:
        consumer = self.consumer
        if consumer is None:
            return
        for partition in consumer.assignment():
            end = consumer.highwater(partition)
            done = self.handled.get(partition)
            if end is not None and done is not None:
                yield partition.partition, max(0, end - done)

    def paused(self) -> bool:
        if self.reconnecting or (self.paused_by_owner is not None and self.paused_by_owner()):
            return True
        consumer = self.consumer
        if consumer is not None:
            fetched = [consumer.last_poll_timestamp(p) for p in consumer.assignment()]
            latest = max((ms for ms in fetched if ms), default=0) / 1000
            self.last_fetch = max(self.last_fetch, latest)
        return time.time() - self.last_fetch > self.stall_seconds


_LIVE: "weakref.WeakSet[ConsumerProgress]" = weakref.WeakSet()


class ConsumerCollector(Collector):
    def collect(self) -> Iterable[Any]:
        lag = GaugeMetricFamily(
            "sendfx_consumer_lag",
            "Records on the partition not handled yet by the consumer group",
            labels=["group", "topic", "partition"],
        )
        paused = GaugeMetricFamily(
            "sendfx_consumer_paused",
            "1 while the consumer is held up by an outage (broker or store away)",
            labels=["group", "topic"],
        )
        for progress in list(_LIVE):
            for partition, behind in progress.lags():
                lag.add_metric([progress.group, progress.topic, str(partition)], behind)
            paused.add_metric([progress.group, progress.topic], int(progress.paused()))
        yield lag
        yield paused


REGISTRY.register(ConsumerCollector())
