"""The MongoDB transactional outbox: writer and relay.

A service that owns Mongo data writes each event it announces into the
``outbox`` collection with ``enqueue``, inside the same transaction (same
``AsyncClientSession``) as the change, so the change and its event commit or
vanish together. Document shape:

==================  ==========================================================
``_id``             an ``ObjectId``: monotonic within a process, so sorting on
                    it keeps the order in which one process wrote its events
``event_id``        the CloudEvent id (unique: the same event is never queued
                    twice)
``topic``           the *unprefixed* contract topic; the relay applies
                    ``KAFKA_TOPIC_PREFIX``
``key``             the Kafka key (the aggregate id)
``type``            the CloudEvent type, for humans and queries
``event``           the CloudEvent as JSON: the Kafka value, byte for byte
``sent_at``         ``None`` until the broker acknowledged it
==================  ==========================================================

The relay publishes unsent documents in ``_id`` order and marks them sent
after the broker's ack: delivery is at-least-once, and a crash between the
ack and the mark republishes the same event id, which consumers dedupe by
(source, id). Only one relay per database works at a time (a lease document
renewed while it runs), so two processes never interleave one key's events.
A broker outage backs the whole relay off and costs no row anything; a row
the broker rejects on its merits is retried with backoff, holds back the
later rows of its key, and after ``max_attempts`` moves to ``outbox_dead``.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from sendfx_shared.events.envelope import (
    CLOUDEVENTS_CONTENT_TYPE,
    CONTENT_TYPE_HEADER,
    CloudEvent,
    utc_now,
)
from sendfx_shared.kafka import make_producer
from sendfx_shared.settings import KafkaSettings

log = logging.getLogger(__name__)

OUTBOX: Final = "outbox"
OUTBOX_DEAD: Final = "outbox_dead"
LEASES: Final = "outbox_leases"
_HEADERS: Final = [(CONTENT_TYPE_HEADER, CLOUDEVENTS_CONTENT_TYPE.encode())]

Document = dict[str, Any]


def outbox_document(*, topic: str, key: str, event: CloudEvent[Any]) -> Document:
    return {
        "_id": ObjectId(),
        "event_id": event.id,
        "topic": topic,
        "key": key,
        "type": event.type,
        "event": event.model_dump_json(exclude_none=True),
        "created_at": utc_now(),
        "sent_at": None,
        "attempts": 0,
        "next_attempt_at": utc_now(),
    }


async def enqueue(
    database: AsyncDatabase[Document],
    session: AsyncClientSession | None,
    *,
    topic: str,
    key: str,
    event: CloudEvent[Any],
) -> None:
    """Queue ``event``; pass the session of the transaction that makes the change."""
    await database[OUTBOX].insert_one(
        outbox_document(topic=topic, key=key, event=event), session=session
    )


async def ensure_outbox_indexes(database: AsyncDatabase[Document]) -> None:
    outbox = database[OUTBOX]
    await outbox.create_index([("event_id", ASCENDING)], unique=True, name="event_id_unique")
    await outbox.create_index([("sent_at", ASCENDING), ("_id", ASCENDING)], name="unsent_in_order")


@dataclass(frozen=True)
class MongoRelayConfig:
    batch_size: int = 200
    poll_interval: float = 0.5
    max_attempts: int = 8
    backoff_base: float = 0.2
    backoff_max: float = 30.0
    outage_backoff_max: float = 5.0
    lease_seconds: float = 15.0
    retention: timedelta = timedelta(hours=24)
    purge_every: float = 300.0
    producer_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class RelayBatch:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    outage: BaseException | None = None
    not_leader: bool = False


def is_outage(error: BaseException) -> bool:
    if isinstance(error, KafkaConnectionError | KafkaTimeoutError | OSError | TimeoutError):
        return True
    return isinstance(error, KafkaError) and bool(getattr(error, "retriable", False))


def backoff_seconds(attempts: int, base: float, ceiling: float) -> float:
    return float(min(ceiling, base * (2 ** max(0, attempts - 1))))


class MongoOutboxRelay:
    """Publishes the ``outbox`` collection of one database to Kafka."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        kafka: KafkaSettings,
        config: MongoRelayConfig | None = None,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
        holder: str | None = None,
    ) -> None:
        self._database = database
        self._outbox: AsyncCollection[Document] = database[OUTBOX]
        self._kafka = kafka
        self._config = config or MongoRelayConfig()
        self._producer_factory = producer_factory or (
            lambda: make_producer(self._kafka, **self._config.producer_overrides)
        )
        self._producer: AIOKafkaProducer | None = None
        self._holder = holder or uuid.uuid4().hex
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published_total = 0

    # -- lifecycle -------------------------------------------------------

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="mongo-outbox-relay")

    async def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._release_lease()
        await self._close_producer()

    def wake(self) -> None:
        """Call after committing a transaction that enqueued events."""
        self._wakeup.set()

    # -- the loop --------------------------------------------------------

    async def _run(self) -> None:
        outage_attempts = 0
        loop = asyncio.get_running_loop()
        last_purge = loop.time()
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                result = await self.relay_batch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database hiccup must not end the relay
                log.warning("mongo outbox relay: batch failed: %s", exc)
                result = RelayBatch(outage=exc)
            if result.outage is not None:
                outage_attempts += 1
                delay = backoff_seconds(
                    outage_attempts, self._config.backoff_base, self._config.outage_backoff_max
                )
                log.warning(
                    "mongo outbox relay: unavailable (%s); retry in %.1fs", result.outage, delay
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
            await self._sleep(self._config.poll_interval, wake_early=not result.not_leader)

    async def _sleep(self, seconds: float, *, wake_early: bool) -> None:
        waiter = self._wakeup if wake_early else self._stopping
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter.wait(), timeout=seconds)

    # -- leadership ------------------------------------------------------

    async def _hold_lease(self) -> bool:
        now = utc_now()
        try:
            await self._database[LEASES].find_one_and_update(
                {
                    "_id": OUTBOX,
                    "$or": [{"holder": self._holder}, {"expires_at": {"$lt": now}}],
                },
                {
                    "$set": {
                        "holder": self._holder,
                        "expires_at": now + timedelta(seconds=self._config.lease_seconds),
                    }
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False  # another live relay holds it
        return True

    async def _release_lease(self) -> None:
        with contextlib.suppress(Exception):
            await self._database[LEASES].delete_one({"_id": OUTBOX, "holder": self._holder})

    # -- one batch -------------------------------------------------------

    async def relay_batch(self) -> RelayBatch:
        """Publish one batch of ready documents; returns what happened."""
        result = RelayBatch()
        if not await self._hold_lease():
            result.not_leader = True
            return result
        rows = await self._outbox.find(
            {"sent_at": None}, sort=[("_id", ASCENDING)], limit=self._config.batch_size
        ).to_list()
        if not rows:
            return result
        now = utc_now()
        ready = _ready_in_key_order(rows, now)
        if not ready:
            return result
        try:
            producer = await self._ensure_producer()
        except Exception as exc:
            result.outage = exc
            return result
        errors = await self._publish(producer, ready)
        await self._record(ready, errors, result)
        self.published_total += result.sent
        return result

    async def _publish(
        self, producer: AIOKafkaProducer, rows: Sequence[Document]
    ) -> list[BaseException | None]:
        # send() only enqueues: queue the whole batch so the producer batches
        # it, in _id order (aiokafka keeps the order per partition).
        pending: list[asyncio.Future[Any] | BaseException] = []
        for row in rows:
            try:
                pending.append(
                    await producer.send(
                        self._kafka.topic(row["topic"]),
                        value=row["event"].encode(),
                        key=row["key"].encode(),
                        headers=_HEADERS,
                    )
                )
            except Exception as exc:
                pending.append(exc)
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
        self, rows: Sequence[Document], errors: Sequence[BaseException | None], result: RelayBatch
    ) -> None:
        sent: list[ObjectId] = []
        blocked: set[str] = set()
        for row, error in zip(rows, errors, strict=True):
            if row["key"] in blocked:
                continue  # stays unsent: goes again after the row that failed
            if error is None:
                sent.append(row["_id"])
                continue
            blocked.add(row["key"])
            if is_outage(error):
                result.outage = error
                continue
            await self._fail(row, error, result)
        if sent:
            await self._outbox.update_many({"_id": {"$in": sent}}, {"$set": {"sent_at": utc_now()}})
        result.sent = len(sent)

    async def _fail(self, row: Document, error: BaseException, result: RelayBatch) -> None:
        attempts = int(row.get("attempts", 0)) + 1
        message = f"{type(error).__name__}: {error}"[:2000]
        if attempts >= self._config.max_attempts:
            dead = {**row, "attempts": attempts, "last_error": message, "died_at": utc_now()}
            await self._database[OUTBOX_DEAD].replace_one({"_id": row["_id"]}, dead, upsert=True)
            await self._outbox.delete_one({"_id": row["_id"]})
            log.error(
                "mongo outbox relay: %s moved to %s: %s", row["event_id"], OUTBOX_DEAD, message
            )
            result.dead += 1
            return
        delay = backoff_seconds(attempts, self._config.backoff_base, self._config.backoff_max)
        await self._outbox.update_one(
            {"_id": row["_id"]},
            {
                "$set": {
                    "attempts": attempts,
                    "last_error": message,
                    "next_attempt_at": utc_now() + timedelta(seconds=delay),
                }
            },
        )
        result.failed += 1

    async def _purge_sent(self) -> None:
        try:
            await self._outbox.delete_many(
                {"sent_at": {"$ne": None, "$lt": utc_now() - self._config.retention}}
            )
        except Exception as exc:
            log.warning("mongo outbox relay: purge failed: %s", exc)

    # -- producer --------------------------------------------------------

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


def _ready_in_key_order(rows: Sequence[Document], now: datetime) -> list[Document]:
    """Rows whose backoff has passed, minus every row behind a waiting one of its key."""
    waiting: set[str] = set()
    ready: list[Document] = []
    for row in rows:
        if row["key"] in waiting:
            continue
        due = row.get("next_attempt_at")
        if due is not None and _aware(due) > now:
            waiting.add(row["key"])
            continue
        ready.append(row)
    return ready


def _aware(moment: datetime) -> datetime:
    # PyMongo returns naive UTC datetimes unless the client is tz_aware.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
