"""usage-ingestor's running parts: the batch consumer of
``openai.call.completed``, the consumer of ``core.events`` for the workspaces'
quotas, and the relay of its own outbox, all on the shared consumer runners
(``sendfx_shared.consume``), with the pool the HTTP routes read through.

Offsets are committed after the batch's transaction committed (at least once
in, exactly once in effect).
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from sendfx_shared.consume import EventConsumer
from sendfx_shared.consume.batches import BatchConsumer
from sendfx_shared.kafka import make_producer
from sendfx_shared.migrations import apply_migrations
from sendfx_shared.outbox.postgres import OutboxRelay, RelayConfig
from sendfx_shared.postgres import connect, create_pool
from sendfx_shared.topics import CORE_EVENTS, OPENAI_CALL_COMPLETED, dlq_of
from usage_ingestor.history import HistoryKeeper
from usage_ingestor.ingest import Backoff, BatchIngestor, PreparedBatch
from usage_ingestor.migrations import USAGE_INGESTOR_MIGRATIONS
from usage_ingestor.quotas import quota_handlers
from usage_ingestor.settings import PROCESS_NAME, IngestorSettings
from usage_ingestor.store import USAGE_OUTBOX
from usage_ingestor.token_holders import token_holder_handlers
from usage_ingestor.topics import ensure_topics

log = logging.getLogger("usage_ingestor")


class Ingestor:
    """Owns the pool, the dead-letter producer and the consumers of one process."""

    def __init__(self, settings: IngestorSettings) -> None:
        self.settings = settings
        self.topic = settings.topic(OPENAI_CALL_COMPLETED)
        self.core_topic = settings.topic(CORE_EVENTS)
        self._pool: asyncpg.Pool | None = None
        self._producer: AIOKafkaProducer | None = None
        self._batches: BatchIngestor | None = None
        self._consumer: BatchConsumer[PreparedBatch] | None = None
        self._quotas: EventConsumer | None = None
        self._relay: OutboxRelay | None = None
        self._history: HistoryKeeper | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "open() first"
        return self._pool

    async def workspaces_current(self) -> bool:
        """Waits (briefly) until every core.events record there is now has been
        handled, so a workspace just created is known; False if that took too long."""
        if self._quotas is None:
            return False
        return await self._quotas.wait_handled_to_now(self.settings.consistency_wait_seconds)

    @property
    def batches(self) -> BatchIngestor:
        assert self._batches is not None, "open() first"
        return self._batches

    async def open(self) -> None:
        """Migrations, pool, producer and the outbox relay: ready to ingest."""
        settings = self.settings
        migrating = await connect(settings.postgres_url, application_name=PROCESS_NAME)
        try:
            applied = await apply_migrations(migrating, USAGE_INGESTOR_MIGRATIONS)
        finally:
            await migrating.close()
        if applied:
            log.info("%s: applied migrations %s", PROCESS_NAME, ", ".join(applied))
        # One connection per partition written concurrently (BatchConsumer).
        self._pool = await create_pool(
            settings.postgres_url,
            application_name=PROCESS_NAME,
            min_size=1,
            max_size=settings.postgres_pool_max,
            # A silently dropped connection must fail (and be retried), not hang.
            command_timeout=settings.statement_timeout_seconds,
            timeout=settings.statement_timeout_seconds,
        )
        # This month's partition and the next ones before the first batch.
        self._history = HistoryKeeper(self._pool, settings)
        await self._history.run_once()
        self._history.start()
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
        self._batches = BatchIngestor(
            self._pool,
            self._producer,
            self.topic,
            Backoff(settings.retry_initial_seconds, settings.retry_max_seconds),
        )
        await self._batches.refresh_prices()
        if settings.outbox_relay:
            self._relay = OutboxRelay(
                USAGE_OUTBOX,
                self._pool,
                settings.postgres_url,
                settings,
                RelayConfig(poll_interval=settings.outbox_poll_seconds),
                application_name=PROCESS_NAME,
            )
            await self._relay.start()

    async def start_consuming(self) -> None:
        settings = self.settings
        batches = self.batches
        self._consumer = BatchConsumer(
            settings,
            OPENAI_CALL_COMPLETED,
            settings.group_id,
            prepare=batches.prepare,
            store=batches.store,
            # Admin price edits apply to the batches prepared from now on.
            after_store=batches.refresh_prices,
            paused=lambda: batches.stats.paused,
            name="usage-ingestor openai.call.completed",
            max_records=settings.batch_max_records,
            timeout_ms=settings.batch_timeout_ms,
            # Enough bytes per fetch for a whole batch of ~400-byte events.
            max_partition_fetch_bytes=8 * 1024 * 1024,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=max(300, settings.session_timeout_ms // 3),
        )
        assert self._pool is not None
        self._quotas = EventConsumer(
            settings,
            CORE_EVENTS,
            settings.quota_group_id,
            # Quotas for the thresholds, token holders for the admin routes.
            {**quota_handlers(self._pool), **token_holder_handlers(self._pool)},
            name="usage-ingestor core.events quotas",
        )
        await self._consumer.start()
        await self._quotas.start()

    async def wait_assigned(self) -> None:
        """Until the group gave this consumer its partitions."""
        assert self._consumer is not None, "start_consuming() first"
        await self._consumer.assigned.wait()

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop(self.settings.shutdown_grace_seconds)
            self._consumer = None
            log.info("%s: consumer shut down gracefully", PROCESS_NAME)
        if self._history is not None:
            await self._history.stop()
            self._history = None
        for stoppable in (self._quotas, self._relay):
            if stoppable is not None:
                await stoppable.stop()
        self._quotas = self._relay = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), self.settings.shutdown_grace_seconds)
            except TimeoutError:
                self._pool.terminate()  # an unreachable server cannot say goodbye
            self._pool = None

    def health(self) -> dict[str, Any]:
        stats = self._batches.stats if self._batches is not None else None
        return {
            "status": "ok" if stats is not None and not stats.paused else "degraded",
            "topic": self.topic,
            # this instance's share of the topic, as the consumer group assigned it
            "partitions": self._consumer.partitions() if self._consumer is not None else [],
            **({} if stats is None else vars(stats)),
        }


@asynccontextmanager
async def running(settings: IngestorSettings) -> AsyncIterator[Ingestor]:
    """An ingestor consuming in this process (the app, tests, benchmarks)."""
    ingestor = Ingestor(settings)
    try:
        await ingestor.open()
        await ingestor.start_consuming()
        yield ingestor
    finally:
        await ingestor.close()
