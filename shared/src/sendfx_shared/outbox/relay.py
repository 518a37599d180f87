"""What every outbox relay shares, whatever store its outbox lives in.

``RelayLoop`` runs the loop: wake on a signal or a poll interval, relay one
batch, back off as a whole while the broker is unreachable (an outage counts
no attempt against any row, so an outage of any length loses nothing), purge
sent rows now and then. ``publish_in_order`` sends one batch in order and
reports each row's outcome; a row refused at send time holds back the later
rows of its key. A store's relay implements ``relay_batch`` (and may hook
``before_batch``, ``purge_sent``, ``on_stop`` and ``backlog``). The loop
counts sent and dead rows and samples the backlog (rows waiting, age of the
oldest) for ``/metrics``; a row's stored trace context travels as its
record's ``traceparent`` header, under a PRODUCER span.
"""

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

from sendfx_shared.events.envelope import CLOUDEVENTS_CONTENT_TYPE, CONTENT_TYPE_HEADER, utc_now
from sendfx_shared.kafka import make_producer
from sendfx_shared.observability.catalog import OUTBOX_DEAD, OUTBOX_SENT
from sendfx_shared.observability.metrics import record_backlog
from sendfx_shared.observability.tracing import kafka_headers, producing
from sendfx_shared.settings import KafkaSettings

log = logging.getLogger(__name__)

HEADERS: Final = [(CONTENT_TYPE_HEADER, CLOUDEVENTS_CONTENT_TYPE.encode())]


@dataclass(frozen=True)
class RelayConfig:
    batch_size: int = 500
    poll_interval: float = 1.0
    max_attempts: int = 8
    backoff_base: float = 0.2
    backoff_max: float = 30.0
    outage_backoff_max: float = 5.0
    retention: timedelta = timedelta(hours=24)
    purge_every: float = 300.0
    backlog_every: float = 2.0
    producer_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str  # unprefixed
    key: str
    value: bytes
    trace_context: dict[str, str] | None = None


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    outage: BaseException | None = None


class Held(Exception):
    """Not sent: an earlier row of the same key was refused in this batch."""


def is_outage(error: BaseException) -> bool:
    """The broker cannot be reached (nothing is wrong with the message)."""
    if isinstance(error, KafkaConnectionError | KafkaTimeoutError | OSError | TimeoutError):
        return True
    return isinstance(error, KafkaError) and bool(getattr(error, "retriable", False))


def backoff_seconds(attempts: int, base: float, ceiling: float) -> float:
    return float(min(ceiling, base * (2 ** max(0, attempts - 1))))


async def publish_in_order(
    producer: AIOKafkaProducer, kafka: KafkaSettings, messages: Sequence[OutgoingMessage]
) -> list[BaseException | None]:
    """Each message's outcome: None when the broker acknowledged it."""
    # send() only enqueues; queue all first so the producer batches them,
    # in order (aiokafka keeps the order per partition). An outage at this
    # stage (no metadata) would stall every message in turn: stop there.
    # A message refused here holds back the later messages of its key.
    pending: list[asyncio.Future[Any] | BaseException] = []
    held: set[str] = set()
    for message in messages:
        if message.key in held:
            pending.append(Held())
            continue
        try:
            topic = kafka.topic(message.topic)
            with producing(topic, message.trace_context) as carrier:
                sent = await producer.send(
                    topic,
                    value=message.value,
                    key=message.key.encode(),
                    headers=[*HEADERS, *kafka_headers(carrier)] if carrier else HEADERS,
                )
            pending.append(sent)
        except Exception as exc:
            pending.append(exc)
            held.add(message.key)
            if is_outage(exc):
                pending.extend(exc for _ in range(len(messages) - len(pending)))
                break
    outcomes: list[BaseException | None] = []
    for item in pending:
        if isinstance(item, BaseException):
            outcomes.append(item)
            continue
        try:
            await item
            outcomes.append(None)
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


class RelayLoop(ABC):
    name: str = "outbox"  # the ``outbox`` label of its metrics

    def __init__(
        self,
        kafka: KafkaSettings,
        config: RelayConfig | None = None,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        self._kafka = kafka
        self._config = config or RelayConfig()
        self._producer_factory = producer_factory or (
            lambda: make_producer(self._kafka, **self._config.producer_overrides)
        )
        self._producer: AIOKafkaProducer | None = None
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published_total = 0
        self.outages_total = 0

    @abstractmethod
    async def relay_batch(self) -> BatchResult:
        """Publish one batch of ready rows; returns what happened."""

    async def before_batch(self) -> None:
        """Called before every batch (e.g. to keep a wake-up channel open)."""
        return None

    async def purge_sent(self) -> None:
        """Delete rows sent longer ago than the retention."""
        return None

    async def on_stop(self) -> None:
        """Release what the store's relay holds."""
        return None

    async def backlog(self) -> tuple[int, datetime | None]:
        """Rows not sent yet, and when the oldest of them was written."""
        return 0, None

    async def _sample_backlog(self) -> None:
        try:
            count, oldest = await self.backlog()
        except Exception as exc:  # the store away: the last sample stands
            log.debug("outbox relay: backlog unknown (%s)", exc)
            return
        age = (utc_now() - oldest).total_seconds() if oldest is not None else None
        record_backlog(self.name, count, age)

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=f"{type(self).__name__}")

    async def stop(self, grace: float = 5.0) -> None:
        """Let the batch in flight finish (for at most ``grace`` seconds), so a
        normal shutdown republishes nothing; then cancel."""
        self._stopping.set()
        self._wakeup.set()
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout=grace)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.on_stop()
        await self._close_producer()

    def wake(self) -> None:
        self._wakeup.set()

    async def _run(self) -> None:
        outage_attempts = 0
        last_purge = last_sample = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            await self.before_batch()
            if time.monotonic() - last_sample > self._config.backlog_every:
                last_sample = time.monotonic()
                await self._sample_backlog()
            self._wakeup.clear()
            try:
                result = await self.relay_batch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a store hiccup must not end the relay
                log.warning("outbox relay: batch failed: %s", exc)
                result = BatchResult(outage=exc)
            self.published_total += result.sent
            OUTBOX_SENT.labels(self.name).inc(result.sent)
            OUTBOX_DEAD.labels(self.name).inc(result.dead)
            if result.outage is not None:
                outage_attempts += 1
                self.outages_total += 1
                delay = backoff_seconds(
                    outage_attempts, self._config.backoff_base, self._config.outage_backoff_max
                )
                log.warning(
                    "outbox relay: broker unavailable (%s); retry in %.1fs", result.outage, delay
                )
                await self._close_producer()
                await self._sleep(delay, wake_early=False)
                continue
            outage_attempts = 0
            if loop.time() - last_purge > self._config.purge_every:
                last_purge = loop.time()
                try:
                    await self.purge_sent()
                except Exception as exc:
                    log.warning("outbox relay: purge failed: %s", exc)
            if result.sent + result.failed + result.dead >= self._config.batch_size:
                continue
            await self._sleep(self._config.poll_interval, wake_early=True)

    async def _sleep(self, seconds: float, *, wake_early: bool) -> None:
        waiter = self._wakeup if wake_early else self._stopping
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter.wait(), timeout=seconds)

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self._producer_factory()
            try:
                await producer.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), timeout=5)
