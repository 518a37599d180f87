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

The loop, the outage handling and in-order publishing are ``relay.RelayLoop``
(shared with the MongoDB outbox). A broker outage backs the relay off as a
whole and costs no row an attempt. A row the broker rejects on its own merits
(too large, invalid topic) gets ``attempts``/``last_error``/``next_attempt_at``
with exponential backoff, holds back the later rows of its key (order per
key), and after ``max_attempts`` is moved to ``core.outbox_dead`` with its
error so its key can proceed.
"""

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import asyncpg
from aiokafka import AIOKafkaProducer
from asyncpg.pool import PoolConnectionProxy

from sendfx_shared.events.envelope import CloudEvent
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

__all__ = ["OUTBOX_CHANNEL", "Db", "OutboxRelay", "RelayConfig", "enqueue"]

log = logging.getLogger(__name__)

OUTBOX_CHANNEL: Final = "core_outbox"
_RELAY_LOCK_KEY: Final = 0x4F555442  # "OUTB"

Db = asyncpg.Connection | PoolConnectionProxy
"""A connection, or a connection borrowed from a pool."""


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
class OutboxRow:
    id: int
    topic: str
    message_key: str
    event: str
    attempts: int


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


class OutboxRelay(RelayLoop):
    """Publishes ``core.outbox`` rows to Kafka; one per process that owns core data."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        postgres_url: str,
        kafka: KafkaSettings,
        config: RelayConfig | None = None,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        super().__init__(kafka, config, producer_factory)
        self._pool = pool
        self._postgres_url = postgres_url
        self._listener: asyncpg.Connection | None = None

    async def relay_batch(self) -> BatchResult:
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
            errors = await publish_in_order(
                producer,
                self._kafka,
                [OutgoingMessage(r.topic, r.message_key, r.event.encode()) for r in rows],
            )
            await self._record(connection, rows, errors, result)
        return result

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

    async def purge_sent(self) -> None:
        await self._pool.execute(
            "DELETE FROM core.outbox WHERE sent_at < now() - $1::interval",
            self._config.retention,
        )

    # LISTEN on a connection of its own; without it the poll interval still works.
    async def before_batch(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            connection = await asyncpg.connect(self._postgres_url)
            await connection.add_listener(OUTBOX_CHANNEL, self._on_notify)
        except Exception as exc:
            log.warning("outbox relay: LISTEN unavailable (%s); polling", exc)
            return
        self._listener = connection

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def on_stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            with contextlib.suppress(Exception):
                await listener.close()
