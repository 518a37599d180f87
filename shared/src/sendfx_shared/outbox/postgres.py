"""The PostgreSQL transactional outbox: writer and relay.

Row format of ``core.outbox`` (any process that owns core data may write it,
in the same transaction as the change the event announces):

==============  ==============================================================
``topic``       the *unprefixed* contract topic name, e.g. ``core.events``;
                the relay applies ``KAFKA_TOPIC_PREFIX``
``message_key`` the Kafka key: the aggregate id (a workspace id for anything
                scoped to a workspace, so per-workspace order holds)
``event_type``  the CloudEvent ``type``, for humans and queries
``event``       the full CloudEvent as JSON (structured mode): it is the
                Kafka value, byte for byte what consumers receive
==============  ==============================================================

Every other column has a default. ``enqueue`` writes one row.

The relay publishes unsent rows in id order, one batch at a time under a
transaction-scoped advisory lock (so two relays on one database never
interleave a key), and marks them sent (``sent_at``). Delivery is
at-least-once: a crash between publish and commit republishes the same events
with the same ids, which consumers dedupe by (source, id).

Failures are of two kinds. A broker outage (connection refused, timeouts,
retriable broker errors) is nobody's fault: the relay backs off as a whole and
retries, counting no attempt against any row, so an outage of any length
loses nothing. A row the broker rejects on its own merits (too large, invalid
topic) gets ``attempts``/``last_error``/``next_attempt_at`` with exponential
backoff, holds back the later rows of its key (order per key), and after
``max_attempts`` is moved to ``core.outbox_dead`` with its error so its key
can proceed.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from asyncpg.pool import PoolConnectionProxy

from sendfx_shared.events.envelope import CLOUDEVENTS_CONTENT_TYPE, CONTENT_TYPE_HEADER, CloudEvent
from sendfx_shared.kafka import make_producer
from sendfx_shared.settings import KafkaSettings

log = logging.getLogger(__name__)

OUTBOX_CHANNEL: Final = "core_outbox"
_RELAY_LOCK_KEY: Final = 0x4F555442  # "OUTB"
Db = asyncpg.Connection | PoolConnectionProxy
"""A connection, or a connection borrowed from a pool."""

_HEADERS: Final = [(CONTENT_TYPE_HEADER, CLOUDEVENTS_CONTENT_TYPE.encode())]


async def enqueue(connection: Db, *, topic: str, key: str, event: CloudEvent[Any]) -> int:
    """Write ``event`` to the outbox; call inside the transaction of the change."""
    # Passed as text and cast, so it works whatever json codec the connection has.
    row_id: int = await connection.fetchval(
        """
        INSERT INTO core.outbox (topic, message_key, event_type, event)
        VALUES ($1, $2, $3, $4::text::jsonb)
        RETURNING id
        """,
        topic,
        key,
        event.type,
        event.model_dump_json(exclude_none=True),
    )
    return row_id


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
    producer_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    message_key: str
    event: str
    attempts: int


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    outage: BaseException | None = None


class _Held(Exception):
    """Not sent: an earlier row of the same key failed in this batch."""


def is_outage(error: BaseException) -> bool:
    if isinstance(error, KafkaConnectionError | KafkaTimeoutError | OSError | TimeoutError):
        return True
    return isinstance(error, KafkaError) and bool(getattr(error, "retriable", False))


def backoff_seconds(attempts: int, base: float, ceiling: float) -> float:
    return float(min(ceiling, base * (2 ** max(0, attempts - 1))))


# Ready rows in id order; a key is held back from its first row in backoff on.
_SELECT_READY = """
WITH held AS (
    SELECT message_key, min(id) AS from_id
    FROM core.outbox
    WHERE sent_at IS NULL AND attempts > 0 AND next_attempt_at > now()
    GROUP BY message_key)
SELECT o.id, o.topic, o.message_key, o.event::text AS event, o.attempts
FROM core.outbox o LEFT JOIN held h ON h.message_key = o.message_key
WHERE o.sent_at IS NULL AND (h.from_id IS NULL OR o.id < h.from_id)
ORDER BY o.id
LIMIT $1
FOR UPDATE OF o
"""


class OutboxRelay:
    """Publishes ``core.outbox`` rows to Kafka; one per process that owns core data."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        postgres_url: str,
        kafka: KafkaSettings,
        config: RelayConfig | None = None,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        self._pool = pool
        self._postgres_url = postgres_url
        self._kafka = kafka
        self._config = config or RelayConfig()
        self._producer_factory = producer_factory or (
            lambda: make_producer(self._kafka, **self._config.producer_overrides)
        )
        self._producer: AIOKafkaProducer | None = None
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self.published_total = 0
        self.outages_total = 0

    # -- lifecycle -------------------------------------------------------

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close_listener()
        await self._close_producer()

    def wake(self) -> None:
        self._wakeup.set()

    # -- the loop --------------------------------------------------------

    async def _run(self) -> None:
        outage_attempts = 0
        last_purge = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            await self._ensure_listener()
            self._wakeup.clear()
            try:
                result = await self.relay_batch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database hiccup must not end the relay
                log.warning("outbox relay: batch failed: %s", exc)
                result = BatchResult(outage=exc)
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
                await self._purge_sent()
            if result.sent + result.failed + result.dead >= self._config.batch_size:
                continue
            await self._sleep(self._config.poll_interval, wake_early=True)

    async def _sleep(self, seconds: float, *, wake_early: bool) -> None:
        waiter = self._wakeup if wake_early else self._stopping
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter.wait(), timeout=seconds)

    # -- one batch -------------------------------------------------------

    async def relay_batch(self) -> BatchResult:
        """Publish one batch of ready rows; returns what happened."""
        result = BatchResult()
        async with self._pool.acquire() as connection, connection.transaction():
            if not await connection.fetchval(
                "SELECT pg_try_advisory_xact_lock($1)", _RELAY_LOCK_KEY
            ):
                return result  # another relay is on it
            records = await connection.fetch(_SELECT_READY, self._config.batch_size)
            if not records:
                return result
            rows = [
                OutboxRow(r["id"], r["topic"], r["message_key"], r["event"], r["attempts"])
                for r in records
            ]
            try:
                producer = await self._ensure_producer()
            except Exception as exc:
                result.outage = exc
                return result
            errors = await self._publish(producer, rows)
            await self._record(connection, rows, errors, result)
        self.published_total += result.sent
        return result

    async def _publish(
        self, producer: AIOKafkaProducer, rows: Sequence[OutboxRow]
    ) -> list[BaseException | None]:
        # send() only enqueues; queue all first so the producer batches them,
        # in id order (aiokafka keeps the order per partition). An outage at
        # this stage (no metadata) would stall every row in turn: stop there.
        # A row refused here holds back the later rows of its key, unsent.
        pending: list[asyncio.Future[Any] | BaseException] = []
        held: set[str] = set()
        for row in rows:
            if row.message_key in held:
                pending.append(_Held())
                continue
            try:
                pending.append(
                    await producer.send(
                        self._kafka.topic(row.topic),
                        value=row.event.encode(),
                        key=row.message_key.encode(),
                        headers=_HEADERS,
                    )
                )
            except Exception as exc:
                pending.append(exc)
                held.add(row.message_key)
                if is_outage(exc):
                    pending.extend(exc for _ in range(len(rows) - len(pending)))
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

    async def _record(
        self,
        connection: Db,
        rows: Sequence[OutboxRow],
        errors: Sequence[BaseException | None],
        result: BatchResult,
    ) -> None:
        sent: list[int] = []
        blocked_keys: set[str] = set()
        for row, error in zip(rows, errors, strict=True):
            if row.message_key in blocked_keys:
                continue  # stays unsent: republished after the row that failed
            if error is None:
                sent.append(row.id)
                continue
            blocked_keys.add(row.message_key)
            if is_outage(error):
                result.outage = error
                continue
            await self._fail(connection, row, error, result)
        if sent:
            await connection.execute(
                "UPDATE core.outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", sent
            )
        result.sent = len(sent)

    async def _fail(
        self,
        connection: Db,
        row: OutboxRow,
        error: BaseException,
        result: BatchResult,
    ) -> None:
        attempts = row.attempts + 1
        message = f"{type(error).__name__}: {error}"[:2000]
        if attempts >= self._config.max_attempts:
            await connection.execute(
                """
                WITH moved AS (
                    DELETE FROM core.outbox WHERE id = $1
                    RETURNING id, topic, message_key, event_type, event, created_at)
                INSERT INTO core.outbox_dead
                    (id, topic, message_key, event_type, event, attempts, last_error, created_at)
                SELECT id, topic, message_key, event_type, event, $2, $3, created_at FROM moved
                """,
                row.id,
                attempts,
                message,
            )
            log.error("outbox relay: row %s moved to outbox_dead: %s", row.id, message)
            result.dead += 1
            return
        delay = backoff_seconds(attempts, self._config.backoff_base, self._config.backoff_max)
        await connection.execute(
            """
            UPDATE core.outbox
            SET attempts = $2, last_error = $3,
                next_attempt_at = now() + make_interval(secs => $4)
            WHERE id = $1
            """,
            row.id,
            attempts,
            message,
            delay,
        )
        result.failed += 1

    async def _purge_sent(self) -> None:
        try:
            await self._pool.execute(
                "DELETE FROM core.outbox WHERE sent_at < now() - $1::interval",
                self._config.retention,
            )
        except Exception as exc:
            log.warning("outbox relay: purge failed: %s", exc)

    # -- connections -----------------------------------------------------

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

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            connection = await asyncpg.connect(self._postgres_url)
            await connection.add_listener(OUTBOX_CHANNEL, self._on_notify)
        except Exception as exc:  # the poll fallback keeps the relay going
            log.warning("outbox relay: LISTEN unavailable (%s); polling", exc)
            return
        self._listener = connection

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            with contextlib.suppress(Exception):
                await listener.close()
