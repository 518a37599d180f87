"""The PostgreSQL transactional outbox: writer and relay.

Each process that publishes from PostgreSQL has an outbox table of its own
(``PostgresOutbox``: core-api's ``core.outbox``, usage-ingestor's
``core.usage_outbox``), written only by that process, in the same transaction
as the change the event announces, and relayed by that process. Row format:

==============  ==============================================================
``topic``       the *unprefixed* contract topic name, e.g. ``core.events``;
                the relay applies ``KAFKA_TOPIC_PREFIX``
``message_key`` the Kafka key: the aggregate id (a workspace id for anything
                scoped to a workspace, so per-workspace order holds)
``event_type``  the CloudEvent ``type``, for humans and queries
``event``       the full CloudEvent as JSON (structured mode): it is the
                Kafka value, byte for byte what consumers receive
``trace_context`` the W3C trace context of the writer (nullable): the relay
                sends it as the record's ``traceparent``
==============  ==============================================================

Every other column has a default. ``enqueue`` writes one row, ``enqueue_many``
a batch in one statement.

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
key), and after ``max_attempts`` is moved to the dead table with its error so
its key can proceed.
"""

import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from asyncpg.pool import PoolConnectionProxy

from sendfx_shared.events.envelope import CloudEvent
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
from sendfx_shared.postgres import connect
from sendfx_shared.settings import KafkaSettings

__all__ = ["Db", "OutboxRelay", "PostgresOutbox", "RelayConfig", "enqueue", "enqueue_many"]

log = logging.getLogger(__name__)

Db = asyncpg.Connection | PoolConnectionProxy
"""A connection, or a connection borrowed from a pool."""


@dataclass(frozen=True)
class PostgresOutbox:
    """One process's outbox: its table, the table dead rows move to, the NOTIFY
    channel its insert trigger signals and the advisory lock its relays share."""

    table: str
    dead_table: str
    channel: str
    lock_key: int


async def enqueue(
    connection: Db, outbox: PostgresOutbox, *, topic: str, key: str, event: CloudEvent[Any]
) -> int:
    """Write ``event`` to the outbox; call inside the transaction of the change."""
    # Passed as text and cast, so it works whatever json codec the connection has.
    row_id: int = await connection.fetchval(
        f"""
        INSERT INTO {outbox.table} (topic, message_key, event_type, event, trace_context)
        VALUES ($1, $2, $3, $4::text::jsonb, $5::text::jsonb)
        RETURNING id
        """,
        topic,
        key,
        event.type,
        event.model_dump_json(exclude_none=True),
        _trace_context(),
    )
    return row_id


async def enqueue_many(
    connection: Db, outbox: PostgresOutbox, *, topic: str, events: Sequence[tuple[str, Any]]
) -> None:
    """Write ``(key, event)`` pairs in one statement, in order."""
    if not events:
        return
    await connection.execute(
        f"""
        INSERT INTO {outbox.table} (topic, message_key, event_type, event, trace_context)
        SELECT $1, k, e, v::jsonb, $5::text::jsonb
        FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(k, e, v, n)
        ORDER BY n
        """,
        topic,
        [key for key, _ in events],
        [event.type for _, event in events],
        [event.model_dump_json(exclude_none=True) for _, event in events],
        _trace_context(),
    )


def _trace_context() -> str | None:
    carrier = current_carrier()
    return json.dumps(carrier) if carrier else None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    message_key: str
    event: str
    attempts: int
    trace_context: dict[str, str] | None = None


def _select_ready(table: str) -> str:
    """Ready rows in id order; a key is held back from its first row in backoff on."""
    return f"""
WITH held AS (
    SELECT message_key, min(id) AS from_id
    FROM {table}
    WHERE sent_at IS NULL AND attempts > 0 AND next_attempt_at > now()
    GROUP BY message_key)
SELECT o.id, o.topic, o.message_key, o.event::text AS event, o.attempts,
    o.trace_context::text AS trace_context
FROM {table} o LEFT JOIN held h ON h.message_key = o.message_key
WHERE o.sent_at IS NULL AND (h.from_id IS NULL OR o.id < h.from_id)
ORDER BY o.id
LIMIT $1
FOR UPDATE OF o
"""


class OutboxRelay(RelayLoop):
    """Publishes one process's outbox rows to Kafka."""

    def __init__(
        self,
        outbox: PostgresOutbox,
        pool: asyncpg.Pool,
        postgres_url: str,
        kafka: KafkaSettings,
        config: RelayConfig | None = None,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
        application_name: str | None = None,
    ) -> None:
        super().__init__(kafka, config, producer_factory)
        self._outbox = outbox
        self.name = outbox.table
        self._select_ready = _select_ready(outbox.table)
        self._pool = pool
        self._postgres_url = postgres_url
        self._application_name = application_name
        self._listener: asyncpg.Connection | None = None

    async def relay_batch(self) -> BatchResult:
        result = BatchResult()
        async with self._pool.acquire() as connection, connection.transaction():
            if not await connection.fetchval(
                "SELECT pg_try_advisory_xact_lock($1)", self._outbox.lock_key
            ):
                return result  # another relay is on it
            records = await connection.fetch(self._select_ready, self._config.batch_size)
            if not records:
                return result
            rows = [
                OutboxRow(
                    r["id"],
                    r["topic"],
                    r["message_key"],
                    r["event"],
                    r["attempts"],
                    json.loads(r["trace_context"]) if r["trace_context"] else None,
                )
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
                [
                    OutgoingMessage(r.topic, r.message_key, r.event.encode(), r.trace_context)
                    for r in rows
                ],
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
                f"UPDATE {self._outbox.table} SET sent_at = now() WHERE id = ANY($1::bigint[])",
                sent,
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
                f"""
                WITH moved AS (
                    DELETE FROM {self._outbox.table} WHERE id = $1
                    RETURNING id, topic, message_key, event_type, event, created_at)
                INSERT INTO {self._outbox.dead_table}
                    (id, topic, message_key, event_type, event, attempts, last_error, created_at)
                SELECT id, topic, message_key, event_type, event, $2, $3, created_at FROM moved
                """,
                row.id,
                attempts,
                message,
            )
            log.error(
                "outbox relay: row %s moved to %s: %s", row.id, self._outbox.dead_table, message
            )
            result.dead += 1
            return
        delay = backoff_seconds(attempts, self._config.backoff_base, self._config.backoff_max)
        await connection.execute(
            f"""
            UPDATE {self._outbox.table}
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

    async def backlog(self) -> tuple[int, datetime | None]:
        row = await self._pool.fetchrow(
            f"SELECT count(*) AS n, min(created_at) AS oldest FROM {self._outbox.table} "
            "WHERE sent_at IS NULL"
        )
        return (int(row["n"]), row["oldest"]) if row is not None else (0, None)

    async def purge_sent(self) -> None:
        await self._pool.execute(
            f"DELETE FROM {self._outbox.table} WHERE sent_at < now() - $1::interval",
            self._config.retention,
        )

    # LISTEN on a connection of its own; without it the poll interval still works.
    async def before_batch(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            connection = await connect(self._postgres_url, application_name=self._application_name)
            await connection.add_listener(self._outbox.channel, self._on_notify)
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
