"""The one consumer runner: decode, dispatch, dead-letter, commit after handling.

``EventConsumer`` (here) runs a table of per-event handlers; ``batches.BatchConsumer``
runs a batch handler (prepare, then store) for a hot path, with the same guarantees.

A process binds its handlers in one typed table, ``{event type: Handler(payload
model, handle)}``; ``EventConsumer`` consumes one topic in a consumer group
and, for each record in partition order:

- decodes the CloudEvent in structured or binary mode (``decode_event``), with
  the producer's W3C ``traceparent`` (a Kafka header, or the event's
  extension attribute) on the event for the handler to continue;
- looks its type up in the table (a type the process does not keep is
  skipped), validates ``data`` into the handler's payload model and awaits
  the handler;
- sends a record that is not a valid event, or whose data does not fit the
  model, to ``<topic>.dlq`` with the reason, and carries on;
- commits a partition's offset only after every record before it was handled.

Any other failure (the store or the broker away) stops the batch uncommitted;
the runner reconnects after a pause and the records come again, which the
handlers absorb (they are idempotent by event id or version). ``caught_up`` is
set once the consumer has reached the end offsets it saw when it joined;
``wait_handled_to_now`` waits until every record on the topic at the time of
the call has been handled (a bounded wait, for read-your-writes).
"""

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import BaseModel, ValidationError

from sendfx_shared.events.envelope import CLOUDEVENTS_CONTENT_TYPE, CONTENT_TYPE_HEADER, CloudEvent
from sendfx_shared.kafka import make_producer, publish_to_dlq
from sendfx_shared.observability.catalog import BATCH_SIZE, CONSUMED, PROCESSING
from sendfx_shared.observability.metrics import ConsumerProgress
from sendfx_shared.observability.tracing import consumer_span, within
from sendfx_shared.settings import KafkaSettings

log = logging.getLogger(__name__)

PayloadT = TypeVar("PayloadT", bound=BaseModel)
RawEvent = CloudEvent[dict[str, Any]]
EventT = TypeVar("EventT", bound=CloudEvent[Any])
TRACEPARENT: Final = "traceparent"
_BINARY_PREFIX = "ce_"
_STRUCTURED_PREFIX = CLOUDEVENTS_CONTENT_TYPE.split("+")[0]
# version-traceid-parentid-flags, lower-case hex (W3C Trace Context, level 1);
# the all-zero trace and parent ids are invalid.
_TRACEPARENT_FORMAT = re.compile(
    r"(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}"
)


@dataclass(frozen=True)
class Handler(Generic[PayloadT]):
    """What to do with one event type: its payload model and the handler, which
    returns whether the event changed anything."""

    payload: type[PayloadT]
    handle: Callable[[PayloadT, RawEvent], Awaitable[bool]]


HandlerTable = Mapping[str, Handler[Any]]


class Undecodable(ValueError):
    """Not a CloudEvent of this platform's shape (structured or binary mode)."""


def is_structured(headers: Sequence[tuple[str, bytes]]) -> bool:
    """Structured mode when ``content-type`` is ``application/cloudevents…`` or absent."""
    for key, raw in headers:
        if key.lower() == CONTENT_TYPE_HEADER:
            return raw.decode("latin-1").startswith(_STRUCTURED_PREFIX)
    return True


def decode_event(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> RawEvent:
    """The CloudEvent in a Kafka record, its data as a dict (``decode_as``)."""
    return decode_as(value, headers, RawEvent)


def decode_as(
    value: bytes | None, headers: Sequence[tuple[str, bytes]], model: type[EventT]
) -> EventT:
    """The CloudEvent in a Kafka record, validated into ``model`` (any
    ``CloudEvent[...]``): structured mode when ``content-type`` is
    ``application/cloudevents…`` (or absent), binary mode (``ce_*`` headers,
    ``data`` as the value) otherwise. Raises ``ValidationError`` or
    ``Undecodable``."""
    if is_structured(headers):
        return model.model_validate_json(value or b"")
    found = {key.lower(): raw for key, raw in headers}
    content_type = found[CONTENT_TYPE_HEADER].decode("latin-1")
    attributes: dict[str, Any] = {
        key.removeprefix(_BINARY_PREFIX): raw.decode(errors="replace")
        for key, raw in found.items()
        if key.startswith(_BINARY_PREFIX)
    }
    if not content_type.startswith("application/json"):
        raise Undecodable(f"binary-mode data must be application/json, not {content_type!r}")
    return model.model_validate(
        {**attributes, "datacontenttype": "application/json", "data": _json(value)}
    )


def traceparent_of(
    headers: Sequence[tuple[str, bytes]], event: BaseModel | None = None
) -> str | None:
    """The W3C trace context the producer sent: the Kafka ``traceparent``
    header, else the event's ``traceparent`` extension attribute (CloudEvents'
    distributed-tracing extension: ``ce_traceparent`` in binary mode, a member
    of the JSON in structured mode); None when absent or malformed."""
    found: str | None = None
    for key, raw in headers:
        if key.lower() == TRACEPARENT:
            found = raw.decode("latin-1")
            break
    if found is None and event is not None:
        extra = event.model_extra or {}
        value = extra.get(TRACEPARENT)
        found = value if isinstance(value, str) else None
    if found is None or not _TRACEPARENT_FORMAT.fullmatch(found):
        return None
    return found


def _json(value: bytes | None) -> Any:
    try:
        return json.loads(value or b"")
    except json.JSONDecodeError as exc:
        raise Undecodable(f"data is not JSON: {exc}") from exc


def with_trace_context(event: EventT, headers: Sequence[tuple[str, bytes]]) -> EventT:
    """``event`` carrying the producer's trace context as its ``traceparent``
    extension attribute (from the Kafka header when it has none), so that a
    handler can continue the trace; unchanged when there is none."""
    trace = traceparent_of(headers, event)
    if trace is None or (event.model_extra or {}).get(TRACEPARENT) == trace:
        return event
    return event.model_copy(update={TRACEPARENT: trace})


async def dispatch(handlers: HandlerTable, event: RawEvent) -> bool:
    """Validate ``event``'s data into its handler's model and run it; False for a
    type the table does not keep. Raises ValidationError on data that does not fit."""
    handler = handlers.get(event.type)
    if handler is None:
        return False
    payload = handler.payload.model_validate(event.data)
    return await handler.handle(payload, event)


def group_consumer(
    settings: KafkaSettings, topic: str, group_id: str, **options: Any
) -> AIOKafkaConsumer:
    """A consumer of ``topic`` in ``group_id`` that commits by hand, after
    handling; a new group starts from the earliest record."""
    return AIOKafkaConsumer(
        topic,
        **settings.kafka_client_options(),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **options,
    )


async def run_reconnecting(
    name: str,
    retry_seconds: float,
    consume: Callable[[], Awaitable[None]],
    after_failure: Callable[[], Awaitable[None]],
    progress: ConsumerProgress | None = None,
) -> None:
    """``consume`` until cancelled; a failure (the store or the broker away) is
    logged, cleaned up after, and followed by a new attempt after a pause. What
    was not committed comes again, which the handlers absorb. ``progress``
    shows the consumer paused until ``consume`` has started again."""
    while True:
        try:
            await consume()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if progress is not None:
                progress.reconnecting = True
            log.warning("%s: %s; reconnecting in %ss", name, exc, retry_seconds)
            await after_failure()
            await asyncio.sleep(retry_seconds)


@dataclass
class ConsumerStats:
    consumed: int = 0
    applied: int = 0
    dead_lettered: int = 0
    reconnects: int = 0


class EventConsumer:
    """A long-lived consumer of one topic for one handler table."""

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        group_id: str,
        handlers: HandlerTable,
        *,
        name: str,
        retry_seconds: float = 2.0,
    ) -> None:
        self.topic = settings.topic(topic)
        self.stats = ConsumerStats()
        self.caught_up = asyncio.Event()
        self._settings = settings
        self._group_id = group_id
        self._handlers = handlers
        self._name = name
        self._retry_seconds = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._catch_up_to: dict[TopicPartition, int] | None = None
        # partition -> next offset not yet handled, and who waits for it to move
        self._handled: dict[TopicPartition, int] = {}
        self._progress = asyncio.Condition()
        self.progress = ConsumerProgress(group_id, self.topic)
        self.progress.handled = self._handled

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close()
        self.progress.close()

    async def _run(self) -> None:
        await run_reconnecting(
            self._name, self._retry_seconds, self._consume, self._after_failure, self.progress
        )

    async def _after_failure(self) -> None:
        self.stats.reconnects += 1
        await self._close()

    async def _consume(self) -> None:
        consumer = group_consumer(
            self._settings,
            self.topic,
            self._group_id,
            # An event is handled within milliseconds of its arrival (the
            # default lets the broker hold a fetch for half a second).
            fetch_max_wait_ms=20,
        )
        self._consumer = consumer
        await consumer.start()
        self.progress.consumer, self.progress.reconnecting = consumer, False
        group, topic = self._group_id, self.topic
        while True:
            # Everything fetched so far is handled: the positions are the frontier.
            await self._advance({tp: await consumer.position(tp) for tp in consumer.assignment()})
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            for partition, records in batches.items():
                started = time.perf_counter()
                for record in records:
                    with within(consumer_span(topic, group, [record.headers]), end=True):
                        await self._handle(record)
                    await self._advance({partition: record.offset + 1})
                await consumer.commit({partition: records[-1].offset + 1})
                CONSUMED.labels(group, topic).inc(len(records))
                BATCH_SIZE.labels(group, topic).observe(len(records))
                PROCESSING.labels(group, topic).observe(time.perf_counter() - started)
            await self._check_caught_up(consumer)

    async def _advance(self, handled: dict[TopicPartition, int]) -> None:
        async with self._progress:
            self._handled.update(handled)
            self._progress.notify_all()

    async def wait_handled_to_now(self, within: float) -> bool:
        """Waits (at most ``within`` s) until every record the topic holds now
        has been handled; False when that did not happen in time."""
        consumer = self._consumer
        if consumer is None or not consumer.assignment():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.caught_up.wait(), within)
            consumer = self._consumer
            if consumer is None or not consumer.assignment():
                return False
        try:
            ends = await asyncio.wait_for(consumer.end_offsets(list(consumer.assignment())), within)
        except Exception:  # the broker away: nothing newer can be known
            return False

        def reached() -> bool:
            return all(self._handled.get(tp, -1) >= end for tp, end in ends.items())

        try:
            async with self._progress:
                await asyncio.wait_for(self._progress.wait_for(reached), within)
        except TimeoutError:
            return False
        return True

    async def _check_caught_up(self, consumer: AIOKafkaConsumer) -> None:
        if self.caught_up.is_set():
            return
        assigned = consumer.assignment()
        if not assigned:
            return
        if self._catch_up_to is None:
            self._catch_up_to = await consumer.end_offsets(list(assigned))
        for partition, end in self._catch_up_to.items():
            if partition in assigned and await consumer.position(partition) < end:
                return
        self.caught_up.set()

    async def _handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        self.stats.consumed += 1
        try:
            headers = list(record.headers)
            event = with_trace_context(decode_event(record.value, headers), headers)
            if await dispatch(self._handlers, event):
                self.stats.applied += 1
        except (ValidationError, Undecodable) as exc:
            reason = (
                f"invalid event: {exc.errors(include_url=False)}"
                if isinstance(exc, ValidationError)
                else f"invalid event: {exc}"
            )
            await self._reject(record, reason)

    async def _reject(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        log.warning("%s: offset %s dead-lettered: %s", self._name, record.offset, reason[:300])
        if self._producer is None:
            self._producer = make_producer(self._settings)
            await self._producer.start()
        await publish_to_dlq(
            self._producer,
            self.topic,
            key=record.key,
            value=record.value,
            headers=list(record.headers),
            reason=reason,
        )
        self.stats.dead_lettered += 1

    async def _close(self) -> None:
        consumer, self._consumer = self._consumer, None
        producer, self._producer = self._producer, None
        for client in (consumer, producer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()
