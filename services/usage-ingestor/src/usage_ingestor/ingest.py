"""One consumed batch, start to finish: validate, dead-letter, price, write.

The caller commits the Kafka offsets only after ``BatchIngestor.store``
returns, and ``store`` returns only once every message of the batch is
either in PostgreSQL or on the dead-letter topic. Infrastructure failures
(database or broker unreachable) are retried with backoff for as long as
they last, which pauses consumption; nothing is skipped.
"""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

from sendfx_shared.consume import traceparent_of
from sendfx_shared.kafka import publish_to_dlq
from usage_ingestor.metrics import DUPLICATES_SKIPPED, EVENTS_METERED, UNPRICED
from usage_ingestor.price_book import PriceBook
from usage_ingestor.price_table import load_price_book, prices_fingerprint
from usage_ingestor.store import UsageColumns, write_batch
from usage_ingestor.validation import Rejection, UsageEvent, parse_usage_event

log = logging.getLogger("usage_ingestor")

T = TypeVar("T")

REJECTED_BY_DATABASE = "rejected by the database"
UNPROCESSABLE = "unprocessable"
_YIELD_EVERY = 256
_DLQ_KEPT_BYTES = 64 * 1024


class Record(Protocol):
    """What the ingestor reads from a Kafka record (aiokafka's ConsumerRecord)."""

    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


@dataclass
class PreparedBatch:
    accepted: list[tuple[Record, UsageEvent]] = field(default_factory=list)
    rejected: list[tuple[Record, str]] = field(default_factory=list)
    columns: UsageColumns = field(default_factory=UsageColumns)
    # The producers' W3C trace contexts (each distinct once), for the batch's
    # span to link to: a batch continues many traces at once.
    traceparents: list[str] = field(default_factory=list)


@dataclass
class IngestStats:
    batches: int = 0
    consumed: int = 0
    inserted: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    thresholds: int = 0
    retries: int = 0
    paused: bool = False
    # Where the time goes, for the benchmark and /healthz.
    seconds_parsing: float = 0.0
    seconds_writing: float = 0.0


def is_data_error(error: BaseException) -> bool:
    """A refusal caused by the rows themselves: the server's SQLSTATE classes 22
    and 23, or asyncpg failing to encode a value. Retrying cannot help; the
    offending message must be set aside."""
    if isinstance(error, asyncpg.PostgresError):
        return (error.sqlstate or "").startswith(("22", "23"))
    # asyncpg's client-side DataError is an InterfaceError and a ValueError.
    return isinstance(error, asyncpg.InterfaceError) and isinstance(error, ValueError)


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.2
    maximum: float = 10.0

    def delays(self) -> "Callable[[int], float]":
        def delay(attempt: int) -> float:
            base = min(self.maximum, self.initial * 2.0 ** min(attempt, 30))
            return base * (0.5 + random.random() / 2)

        return delay


class BatchIngestor:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        topic: str,
        backoff: Backoff | None = None,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._topic = topic
        self._backoff = backoff or Backoff()
        self._book = PriceBook()
        self._fingerprint: tuple[int, object] | None = None
        self._failing = 0  # actions now waiting to retry (partitions write concurrently)
        self.stats = IngestStats()

    @property
    def topic(self) -> str:
        return self._topic

    @property
    def price_book(self) -> PriceBook:
        return self._book

    async def _retrying(self, what: str, action: Callable[[], Awaitable[T]]) -> T:
        delay = self._backoff.delays()
        attempt = 0
        try:
            while True:
                try:
                    return await action()
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    if is_data_error(error):
                        raise
                    if attempt == 0:
                        self._failing += 1
                    self.stats.paused = True
                    self.stats.retries += 1
                    wait = delay(attempt)
                    log.warning("%s failed (%r); retrying in %.1fs", what, error, wait)
                    attempt += 1
                    await asyncio.sleep(wait)
        finally:
            if attempt:
                self._failing -= 1
                self.stats.paused = self._failing > 0

    async def refresh_prices(self) -> None:
        """Reload the price book when core.model_prices changed (admin edits apply
        from the next batch on)."""

        async def refresh() -> None:
            async with self._pool.acquire() as conn:
                fingerprint = await prices_fingerprint(conn)
                if fingerprint != self._fingerprint:
                    self._book = await load_price_book(conn)
                    self._fingerprint = fingerprint

        await self._retrying("price refresh", refresh)

    async def prepare(self, records: Sequence[Record]) -> PreparedBatch:
        """The CPU half of a batch: validation, in-batch deduplication, pricing.

        It yields to the event loop every few hundred records, so that the
        previous batch's write keeps making progress in PostgreSQL meanwhile."""
        stats = self.stats
        stats.batches += 1
        stats.consumed += len(records)
        batch = PreparedBatch()
        columns = batch.columns
        book = self._book
        traces: dict[str, None] = {}
        duplicates_before = stats.duplicates
        started = time.perf_counter()
        for index, record in enumerate(records):
            if index % _YIELD_EVERY == _YIELD_EVERY - 1:
                stats.seconds_parsing += time.perf_counter() - started
                await asyncio.sleep(0)
                started = time.perf_counter()
            try:
                headers = record.headers
                parsed = parse_usage_event(record.value, headers)
                if isinstance(parsed, Rejection):
                    batch.rejected.append((record, parsed.reason))
                elif columns.add(parsed, book):
                    batch.accepted.append((record, parsed))
                    if (trace := traceparent_of(headers, parsed)) is not None:
                        traces.setdefault(trace)
                else:
                    stats.duplicates += 1
            except Exception as error:  # a message must never stop the consumer
                log.exception("unexpected failure on a message")
                batch.rejected.append((record, f"{UNPROCESSABLE}: {error!r}"))
        stats.seconds_parsing += time.perf_counter() - started
        batch.traceparents = list(traces)
        DUPLICATES_SKIPPED.inc(stats.duplicates - duplicates_before)
        return batch

    async def store(self, batch: PreparedBatch) -> None:
        """The I/O half: returns once every message is in PostgreSQL or on the
        dead-letter topic, however long the database or broker is away."""
        if batch.rejected:
            await self._dead_letter(batch.rejected)
        if batch.accepted:
            await self._write(batch.accepted, batch.columns)

    async def ingest(self, records: Sequence[Record]) -> None:
        """prepare + store, then pick up price edits for the next batch."""
        await self.store(await self.prepare(records))
        await self.refresh_prices()

    async def _dead_letter_one(self, record: Record, reason: str) -> None:
        try:
            await publish_to_dlq(
                self._producer,
                self._topic,
                key=record.key,
                value=record.value,
                headers=list(record.headers),
                reason=reason,
            )
        except MessageSizeTooLargeError:
            # The reason made a message near the size limit too big: keep its start.
            await publish_to_dlq(
                self._producer,
                self._topic,
                key=record.key,
                value=(record.value or b"")[:_DLQ_KEPT_BYTES],
                headers=list(record.headers),
                reason=f"{reason} (original cut to its first {_DLQ_KEPT_BYTES} bytes)",
            )

    async def _dead_letter(self, rejected: list[tuple[Record, str]]) -> None:
        async def send() -> None:
            await asyncio.gather(*(self._dead_letter_one(r, reason) for r, reason in rejected))

        await self._retrying("dead-lettering", send)
        self.stats.dead_lettered += len(rejected)
        for _, reason in rejected[:3]:
            log.info("dead-lettered a message: %s", reason)

    async def _write(
        self, accepted: list[tuple[Record, UsageEvent]], columns: UsageColumns
    ) -> None:
        started = time.perf_counter()

        async def write() -> Any:
            async with self._pool.acquire() as conn:
                return await write_batch(conn, columns)

        try:
            result = await self._retrying("batch write", write)
        except Exception as error:  # _retrying lets data errors only through
            await self._isolate(accepted, error)
            return
        self.stats.seconds_writing += time.perf_counter() - started
        self.stats.inserted += result.inserted
        self.stats.duplicates += len(columns) - result.inserted
        self.stats.thresholds += len(result.thresholds)
        EVENTS_METERED.inc(result.inserted)
        DUPLICATES_SKIPPED.inc(len(columns) - result.inserted)
        UNPRICED.inc(result.unpriced)

    async def _isolate(self, accepted: list[tuple[Record, UsageEvent]], error: Exception) -> None:
        """Halve a batch the database refused until the refused messages stand
        alone; they go to the dead-letter topic, the rest is written."""
        if len(accepted) == 1:
            record, _ = accepted[0]
            code = getattr(error, "sqlstate", None) or type(error).__name__
            reason = f"{REJECTED_BY_DATABASE}: {code} {error}"
            await self._dead_letter([(record, reason)])
            return
        middle = len(accepted) // 2
        for half in (accepted[:middle], accepted[middle:]):
            await self._write(half, UsageColumns.of((event for _, event in half), self._book))
