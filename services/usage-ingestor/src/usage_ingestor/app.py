"""The FastStream app: a batch subscriber on ``openai.call.completed``, a
subscriber on ``core.events`` for the workspaces' quotas, and the relay of
usage-ingestor's own outbox.

Offsets are committed by hand, after the batch's transaction committed (at
least once in, exactly once in effect). A tiny HTTP side serves ``/healthz``
and ``/openapi.json`` on ``USAGE_INGESTOR_PORT``.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage

from sendfx_shared.consume import EventConsumer
from sendfx_shared.kafka import make_broker, make_producer
from sendfx_shared.migrations import apply_migrations
from sendfx_shared.outbox.postgres import OutboxRelay, RelayConfig
from sendfx_shared.postgres import connect, create_pool
from sendfx_shared.topics import CORE_EVENTS, OPENAI_CALL_COMPLETED, dlq_of
from usage_ingestor.ingest import Backoff, BatchIngestor, PreparedBatch
from usage_ingestor.migrations import USAGE_INGESTOR_MIGRATIONS
from usage_ingestor.quotas import quota_handlers
from usage_ingestor.settings import PROCESS_NAME, IngestorSettings
from usage_ingestor.store import USAGE_OUTBOX
from usage_ingestor.topics import ensure_topics

log = logging.getLogger("usage_ingestor")


def _by_partition(
    batch: Sequence[ConsumerRecord[bytes, bytes]],
) -> list[list[ConsumerRecord[bytes, bytes]]]:
    parts: dict[tuple[str, int], list[ConsumerRecord[bytes, bytes]]] = {}
    for record in batch:
        parts.setdefault((record.topic, record.partition), []).append(record)
    return list(parts.values())


def _next_offset(part: Sequence[ConsumerRecord[bytes, bytes]]) -> dict[TopicPartition, int]:
    """What to commit once ``part`` (one partition's records) is stored."""
    last = part[-1]
    return {TopicPartition(last.topic, last.partition): last.offset + 1}


async def _raw_records(message: StreamMessage[Any]) -> Any:
    """Skip FastStream's per-message JSON decoding: the ingestor validates the raw
    bytes itself, once, straight into the pydantic model."""
    return message.raw_message


class Ingestor:
    """Owns the pool, the dead-letter producer and the broker of one process."""

    def __init__(self, settings: IngestorSettings) -> None:
        self.settings = settings
        self.topic = settings.topic(OPENAI_CALL_COMPLETED)
        # FastStream's per-batch "received/processed" lines go to DEBUG; its
        # warnings and errors (e.g. a lost broker connection) still show.
        self.broker: KafkaBroker = make_broker(
            settings, logger=logging.getLogger("usage_ingestor.kafka"), log_level=logging.DEBUG
        )
        self._pool: asyncpg.Pool | None = None
        self._producer: AIOKafkaProducer | None = None
        self._batches: BatchIngestor | None = None
        self._writing: asyncio.Task[None] | None = None
        self._subscriber = self.broker.subscriber(
            self.topic,
            group_id=settings.group_id,
            batch=True,
            max_records=settings.batch_max_records,
            batch_timeout_ms=settings.batch_timeout_ms,
            # Enough bytes per fetch for a whole batch of ~400-byte events.
            max_partition_fetch_bytes=8 * 1024 * 1024,
            auto_offset_reset="earliest",
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=max(300, settings.session_timeout_ms // 3),
            ack_policy=AckPolicy.MANUAL,
        )
        self._subscriber(self._consume, decoder=_raw_records)
        self.core_topic = settings.topic(CORE_EVENTS)
        self._quotas: EventConsumer | None = None
        self._relay: OutboxRelay | None = None

    @property
    def batches(self) -> BatchIngestor:
        assert self._batches is not None, "open() first"
        return self._batches

    async def open(self) -> None:
        settings = self.settings
        # One connection per partition written concurrently (see _consume).
        self._pool = await create_pool(
            settings.postgres_url,
            application_name=PROCESS_NAME,
            min_size=1,
            max_size=settings.postgres_pool_max,
            # A silently dropped connection must fail (and be retried), not hang.
            command_timeout=settings.statement_timeout_seconds,
            timeout=settings.statement_timeout_seconds,
        )
        migrating = await connect(settings.postgres_url, application_name=PROCESS_NAME)
        try:
            applied = await apply_migrations(migrating, USAGE_INGESTOR_MIGRATIONS)
        finally:
            await migrating.close()
        if applied:
            log.info("%s: applied migrations %s", PROCESS_NAME, ", ".join(applied))
        await ensure_topics(
            settings,
            {
                self.topic: settings.topic_partitions,
                dlq_of(self.topic): 1,
                self.core_topic: settings.topic_partitions,
                dlq_of(self.core_topic): 1,
            },
        )
        self._producer = make_producer(settings)
        await self._producer.start()
        self._quotas = EventConsumer(
            settings,
            CORE_EVENTS,
            settings.quota_group_id,
            quota_handlers(self._pool),
            name="usage-ingestor core.events quotas",
        )
        await self._quotas.start()
        if settings.outbox_relay_enabled:
            self._relay = OutboxRelay(
                USAGE_OUTBOX,
                self._pool,
                settings.postgres_url,
                settings,
                RelayConfig(poll_interval=settings.outbox_poll_interval),
                application_name=PROCESS_NAME,
            )
            await self._relay.start()
        self._batches = BatchIngestor(
            self._pool,
            self._producer,
            self.topic,
            Backoff(settings.retry_initial_seconds, settings.retry_max_seconds),
        )
        await self._batches.refresh_prices()

    async def close(self) -> None:
        await self.finish_writing()
        for stoppable in (self._relay, self._quotas):
            if stoppable is not None:
                await stoppable.stop()
        self._relay = self._quotas = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), self.settings.shutdown_grace_seconds)
            except TimeoutError:
                self._pool.terminate()  # an unreachable server cannot say goodbye
            self._pool = None

    async def _consume(self, records: Any) -> None:
        batch: tuple[ConsumerRecord[bytes, bytes], ...] = records
        if not batch:
            return
        # One batch per partition, each its own transaction: a workspace's
        # events share a partition (the key is the workspace id), so these
        # transactions touch disjoint counter and rollup rows and PostgreSQL
        # runs them side by side; each commits only its own partition's offset.
        # They are validated while the previous ones are still being written:
        # Python's CPU time overlaps PostgreSQL's instead of adding to it.
        prepared = [
            (await self.batches.prepare(part), _next_offset(part)) for part in _by_partition(batch)
        ]
        await self.drain()
        self._writing = asyncio.create_task(self._store_and_commit(prepared))

    async def drain(self) -> None:
        """Waits for the batches being written (and their offsets committed)."""
        if self._writing is not None:
            await self._writing
            self._writing = None

    async def finish_writing(self) -> None:
        """At shutdown: let the batch in flight finish, but not forever (the
        database may be the reason we are stopping); an unfinished batch is
        simply not committed, and comes back to whoever consumes next."""
        writing = self._writing
        if writing is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(writing), self.settings.shutdown_grace_seconds)
        except TimeoutError:
            writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writing
        self._writing = None

    async def _store_and_commit(
        self, prepared: list[tuple[PreparedBatch, dict[TopicPartition, int]]]
    ) -> None:
        await asyncio.gather(*(self._store_one(part, offset) for part, offset in prepared))
        # Admin price edits apply to the batches prepared from now on.
        await self.batches.refresh_prices()

    async def _store_one(self, prepared: PreparedBatch, offset: dict[TopicPartition, int]) -> None:
        await self.batches.store(prepared)
        consumer = self._subscriber.consumer
        if consumer is None:
            return
        try:
            # This batch's offset only: the consumer's position may already be
            # past the next batch, which is not written yet.
            await consumer.commit(offset)
        except KafkaError as error:
            # The group moved on (e.g. a rebalance during a long database outage):
            # the batch will be redelivered, and redelivery changes nothing.
            log.warning("offset commit failed (%r); the batch will be redelivered", error)

    def health(self) -> dict[str, Any]:
        stats = self._batches.stats if self._batches is not None else None
        return {
            "status": "ok" if stats is not None and not stats.paused else "degraded",
            "topic": self.topic,
            **({} if stats is None else vars(stats)),
        }


@asynccontextmanager
async def running(settings: IngestorSettings) -> AsyncIterator[Ingestor]:
    """An ingestor consuming in this process (tests, benchmarks)."""
    ingestor = Ingestor(settings)
    await ingestor.open()
    try:
        await ingestor.broker.start()
        try:
            yield ingestor
        finally:
            await ingestor.finish_writing()
            await ingestor.broker.stop()
    finally:
        await ingestor.close()


def _openapi() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "sendfx usage-ingestor", "version": "0.1.0"},
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "Liveness and ingestion counters",
                    "responses": {
                        "200": {"description": "consuming"},
                        "503": {"description": "paused: the database is unreachable"},
                    },
                }
            }
        },
    }


def _json(body: dict[str, Any], status: int = 200) -> AsgiResponse:
    return AsgiResponse(
        json.dumps(body).encode(), status, headers={"content-type": "application/json"}
    )


def build_app(settings: IngestorSettings) -> AsgiFastStream:
    ingestor = Ingestor(settings)

    @get
    async def healthz(scope: Any) -> AsgiResponse:
        body = ingestor.health()
        return _json(body, 200 if body["status"] == "ok" else 503)

    @get
    async def openapi(scope: Any) -> AsgiResponse:
        return _json(_openapi())

    return AsgiFastStream(
        ingestor.broker,
        asgi_routes=[("/healthz", healthz), ("/openapi.json", openapi)],
        on_startup=[ingestor.open],
        on_shutdown=[ingestor.finish_writing],
        after_shutdown=[ingestor.close],
    )
