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
``trace_context``   the writer's W3C trace context (absent when none): the
                    relay sends it as the record's ``traceparent``
==================  ==========================================================

The loop, the outage handling and in-order publishing are
``relay.RelayLoop``'s; this module adds the Mongo side. The relay publishes
unsent documents in ``_id`` order and marks them sent after the broker's
ack: delivery is at-least-once, and a crash between the ack and the mark
republishes the same event id, which consumers dedupe by
(source, id). Only one relay per database works at a time (a lease document
renewed while it runs), so two processes never interleave one key's events.
A broker outage backs the whole relay off and costs no row anything; a row
the broker rejects on its merits is retried with backoff, holds back the
later rows of its key, and after ``max_attempts`` moves to ``outbox_dead``.
"""

import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from aiokafka import AIOKafkaProducer
from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from sendfx_shared.events.envelope import CloudEvent, utc_now
from sendfx_shared.observability.tracing import current_carrier
from sendfx_shared.outbox.relay import (
    BatchResult,
    OutgoingMessage,
    RelayConfig,
    RelayLoop,
    backoff_seconds,
    is_outage,
    publish_in_order,
)
from sendfx_shared.settings import KafkaSettings

log = logging.getLogger(__name__)

OUTBOX: Final = "outbox"
OUTBOX_DEAD: Final = "outbox_dead"
LEASES: Final = "outbox_leases"

Document = dict[str, Any]


def outbox_document(*, topic: str, key: str, event: CloudEvent[Any]) -> Document:
    carrier = current_carrier()
    traced = {"trace_context": carrier} if carrier else {}
    return {
        **traced,
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
class MongoRelayConfig(RelayConfig):
    batch_size: int = 200
    poll_interval: float = 0.5
    lease_seconds: float = 15.0


@dataclass
class RelayBatch(BatchResult):
    not_leader: bool = False


class MongoOutboxRelay(RelayLoop):
    """Publishes the ``outbox`` collection of one database to Kafka."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        kafka: KafkaSettings,
        config: MongoRelayConfig | None = None,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
        holder: str | None = None,
    ) -> None:
        self._mongo_config = config or MongoRelayConfig()
        super().__init__(kafka, self._mongo_config, producer_factory)
        self._database = database
        self._outbox: AsyncCollection[Document] = database[OUTBOX]
        self._holder = holder or uuid.uuid4().hex
        self.name = "mongo.outbox"

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
                        "expires_at": now + timedelta(seconds=self._mongo_config.lease_seconds),
                    }
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False  # another live relay holds it
        return True

    async def on_stop(self) -> None:
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
        ready = _ready_in_key_order(rows, utc_now())
        if not ready:
            return result
        try:
            producer = await self._ensure_producer()
        except Exception as exc:
            result.outage = exc
            return result
        errors = await publish_in_order(
            producer,
            self._kafka,
            [
                OutgoingMessage(
                    row["topic"], row["key"], row["event"].encode(), row.get("trace_context")
                )
                for row in ready
            ],
        )
        await self._record(ready, errors, result)
        return result

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
            log.error("mongo outbox relay: %s is dead: %s", row["event_id"], message)
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

    async def backlog(self) -> tuple[int, datetime | None]:
        waiting = await self._outbox.count_documents({"sent_at": None})
        oldest = await self._outbox.find_one({"sent_at": None}, sort=[("_id", ASCENDING)])
        return waiting, _aware(oldest["created_at"]) if oldest else None

    async def purge_sent(self) -> None:
        await self._outbox.delete_many(
            {"sent_at": {"$ne": None, "$lt": utc_now() - self._config.retention}}
        )


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
