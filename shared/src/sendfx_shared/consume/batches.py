"""The consumer runner for batch handlers (the ingestor's hot path).

Same contract as ``EventConsumer`` (commit after handling, reconnect, a
handler that dead-letters what it cannot use), for handlers that take a whole
partition's slice of a poll at once. Each poll is split by partition; every
part is ``prepare``d (the CPU half), then ``store``d (the I/O half), committing
only its own partition's offset once stored. A part's store starts as soon as
it is prepared and its partition's previous part is stored, so the parts of a
poll still being prepared, and the next poll, overlap the stores before them:
Python's CPU time runs while the database works, instead of after it. One
poll is stored while the next is prepared, never more.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from opentelemetry.trace import Span

from sendfx_shared.consume import group_consumer, run_reconnecting
from sendfx_shared.observability.catalog import BATCH_SIZE, CONSUMED, PROCESSING
from sendfx_shared.observability.metrics import ConsumerProgress
from sendfx_shared.observability.tracing import consumer_span, within
from sendfx_shared.settings import KafkaSettings

log = logging.getLogger(__name__)

Prepared = TypeVar("Prepared")
Records = Sequence[ConsumerRecord[bytes, bytes]]


class _Part:
    """One partition's slice of a poll on its way: prepared, then stored."""

    __slots__ = ("count", "offset", "prepare_seconds", "prepared", "span")

    def __init__(self, prepared: Any, offset: dict[TopicPartition, int], count: int) -> None:
        self.prepared = prepared
        self.offset = offset
        self.count = count
        self.prepare_seconds = 0.0
        self.span: Span | None = None


class BatchConsumer(Generic[Prepared]):
    """A long-lived batch consumer of one topic."""

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        group_id: str,
        *,
        prepare: Callable[[Records], Awaitable[Prepared]],
        store: Callable[[Prepared], Awaitable[None]],
        after_store: Callable[[], Awaitable[None]] | None = None,
        paused: Callable[[], bool] | None = None,
        name: str,
        max_records: int = 500,
        timeout_ms: int = 100,
        retry_seconds: float = 2.0,
        **consumer_options: Any,
    ) -> None:
        self.topic = settings.topic(topic)
        self._settings = settings
        self._group_id = group_id
        self._prepare = prepare
        self._store = store
        self._after_store = after_store
        self._name = name
        self._max_records = max_records
        self._timeout_ms = timeout_ms
        self._retry_seconds = retry_seconds
        self._options = consumer_options
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._writing: asyncio.Task[None] | None = None
        # Each partition's newest store: the next part of that partition stores
        # after it, so that its offset is never committed before an earlier one.
        self._stores: dict[TopicPartition, asyncio.Task[None]] = {}
        self.assigned = asyncio.Event()
        # ``paused``: the owner's word that it is held up (a store away).
        self.progress = ConsumerProgress(group_id, self.topic, paused_by_owner=paused)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self, grace_seconds: float = 15.0) -> None:
        """Stop polling, let the batch in flight finish (not forever: the store may
        be why we stop; an unfinished batch is simply not committed)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._finish_writing(grace_seconds)
        await self._close()
        self.progress.close()

    def partitions(self) -> list[int]:
        """The partitions of the topic this group member holds now (its share)."""
        consumer = self._consumer
        return sorted(tp.partition for tp in consumer.assignment()) if consumer else []

    async def _previous_poll_stored(self) -> None:
        """Waits for the previous poll's parts to be stored (and committed);
        raises its failure. A cancellation (stop) does not cancel the stores: they
        stay tracked, for ``stop`` to give them their grace."""
        writing = self._writing
        if writing is not None:
            await asyncio.shield(writing)
            self._writing = None

    async def _run(self) -> None:
        await run_reconnecting(
            self._name, self._retry_seconds, self._consume, self._after_failure, self.progress
        )

    async def _after_failure(self) -> None:
        await self._finish_writing(0)
        await self._close()

    async def _consume(self) -> None:
        consumer = group_consumer(self._settings, self.topic, self._group_id, **self._options)
        self._consumer = consumer
        await consumer.start()
        self.progress.consumer, self.progress.reconnecting = consumer, False
        while True:
            polled = await consumer.getmany(
                timeout_ms=self._timeout_ms, max_records=self._max_records
            )
            if consumer.assignment():
                self.assigned.set()
            if not polled:
                if self._writing is not None and self._writing.done():
                    # On a quiet topic too, a failed store means reconnecting.
                    await self._previous_poll_stored()
                await self._note_idle(consumer)
                continue
            stores = [
                self._store_in_turn(consumer, await self._prepare_part(records))
                for records in polled.values()
            ]
            await self._previous_poll_stored()
            self._writing = asyncio.create_task(self._stored(stores))

    async def _prepare_part(self, records: Records) -> _Part:
        last = records[-1]
        span = consumer_span(self.topic, self._group_id, [r.headers for r in records])
        started = time.perf_counter()
        with within(span):
            prepared = await self._prepare(records)
        part = _Part(prepared, {TopicPartition(last.topic, last.partition): last.offset + 1}, 0)
        part.count, part.span = len(records), span
        part.prepare_seconds = time.perf_counter() - started
        return part

    async def _note_idle(self, consumer: AIOKafkaConsumer) -> None:
        """Nothing polled and nothing being written: everything fetched is handled."""
        if self._writing is None or self._writing.done():
            for partition in consumer.assignment():
                self.progress.handled[partition] = await consumer.position(partition)

    def _store_in_turn(self, consumer: AIOKafkaConsumer, part: _Part) -> asyncio.Task[None]:
        (partition,) = part.offset
        task = asyncio.create_task(
            self._store_one(consumer, part, after=self._stores.get(partition))
        )
        self._stores[partition] = task
        return task

    async def _stored(self, stores: list[asyncio.Task[None]]) -> None:
        """A poll's parts are stored: then the owner's ``after_store``."""
        await asyncio.gather(*stores)
        # Only these are known stored; a later poll's may have failed already.
        stored = set(stores)
        self._stores = {tp: task for tp, task in self._stores.items() if task not in stored}
        if self._after_store is not None:
            await self._after_store()

    async def _store_one(
        self, consumer: AIOKafkaConsumer, part: _Part, after: asyncio.Task[None] | None
    ) -> None:
        if after is not None:
            # After the partition's previous part: if that failed, this raises too
            # and commits nothing past it.
            await after
        started = time.perf_counter()
        with within(part.span, end=True):
            await self._store(part.prepared)
        try:
            # This part's offset only: the position may already be past the next
            # poll, which is not written yet.
            await consumer.commit(part.offset)
        except KafkaError as error:
            # The group moved on (a rebalance during a long outage): the part
            # comes again, and redelivery changes nothing.
            log.warning("%s: commit failed (%r); the part will be redelivered", self._name, error)
        self.progress.handled.update(part.offset)
        labels = (self._group_id, self.topic)
        CONSUMED.labels(*labels).inc(part.count)
        BATCH_SIZE.labels(*labels).observe(part.count)
        PROCESSING.labels(*labels).observe(part.prepare_seconds + time.perf_counter() - started)

    async def _finish_writing(self, grace_seconds: float) -> None:
        """Lets the stores in flight finish, up to the grace, and cancels the rest.
        The tasks stay tracked until they are done: a stop that cancels this
        wait (a failure's clean-up) still finds them."""
        # The stores of a poll whose predecessor failed are not in _writing yet.
        in_flight = [task for task in (self._writing, *self._stores.values()) if task is not None]
        if in_flight:
            _, late = await asyncio.wait(in_flight, timeout=grace_seconds)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        self._writing, self._stores = None, {}
        failures = [e for t in in_flight if not t.cancelled() and (e := t.exception())]
        if failures:
            log.warning("%s: the batch in flight failed (%r)", self._name, failures[0])

    async def _close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()
