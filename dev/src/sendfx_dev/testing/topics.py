"""Reading topics in tests, the way no service does: every partition by
manual assignment from the beginning, no group, nothing committed.

``follow_topic`` keeps appending to an ``EventLog`` until cancelled (a reader
for a whole session); ``read_topic_once`` returns what a topic holds now;
``read_until`` follows until a predicate holds.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

Event = dict[str, Any]
Message = tuple[str, Event]  # the key (decoded, "" for none) and the JSON value


async def ensure_topic(bootstrap: str, topic: str, partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()


@dataclass
class EventLog:
    """Every message of a topic since the session began, in arrival order."""

    messages: list[Message] = field(default_factory=list)

    def events(self) -> list[Event]:
        return [event for _, event in self.messages]

    def of_type(self, event_type: str) -> list[Event]:
        return [e for e in self.events() if e["type"] == event_type]

    def with_key(self, key: str) -> list[Event]:
        return [e for k, e in self.messages if k == key]

    async def wait_for(
        self, predicate: Callable[[Event], bool], count: int = 1, within: float = 20
    ) -> list[Event]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            found = [e for e in self.events() if predicate(e)]
            if len(found) >= count or loop.time() > deadline:
                return found
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def _reader(bootstrap: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        yield consumer
    finally:
        # aiokafka lets its own coordinator task's cancellation escape from a
        # stop() that follows start() closely; it is not ours to propagate.
        with contextlib.suppress(asyncio.CancelledError):
            await consumer.stop()


async def _from_the_beginning(
    consumer: AIOKafkaConsumer, topic: str, wait: bool
) -> list[TopicPartition]:
    """Every partition of ``topic`` assigned and at its start; none when the
    topic does not exist (yet) and ``wait`` is False."""
    partitions = consumer.partitions_for_topic(topic)
    while not partitions and wait:
        await consumer.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic)
        await asyncio.sleep(0.1)
    if not partitions:
        return []
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    await consumer.seek_to_beginning(*assigned)
    return assigned


def _message(key: bytes | None, value: bytes | None) -> Message:
    return (key.decode() if key else "", json.loads(value or b"{}"))


async def follow_topic(bootstrap: str, topic: str, log: EventLog) -> None:
    """Appends every message of ``topic`` to ``log``, from the first, until cancelled."""
    async with _reader(bootstrap) as consumer:
        await _from_the_beginning(consumer, topic, wait=True)
        while True:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                log.messages.extend(_message(r.key, r.value) for r in records)


async def read_topic_once(bootstrap: str, topic: str) -> list[Message]:
    """Every message ``topic`` holds now (none when it does not exist yet)."""
    async with _reader(bootstrap) as consumer:
        assigned = await _from_the_beginning(consumer, topic, wait=False)
        if not assigned:
            return []
        ends = await consumer.end_offsets(assigned)
        found: list[Message] = []
        while any([await consumer.position(tp) < ends[tp] for tp in assigned]):
            batch = await consumer.getmany(*assigned, timeout_ms=500)
            for records in batch.values():
                found.extend(_message(r.key, r.value) for r in records)
        return found


async def read_until(
    bootstrap: str, topic: str, done: Callable[[EventLog], bool], within: float = 60
) -> EventLog:
    """Reads ``topic`` from the beginning until ``done(log)``, for at most ``within`` s."""
    log = EventLog()
    task = asyncio.create_task(follow_topic(bootstrap, topic, log))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    try:
        # polling a predicate over what has arrived so far; no event to wait on
        while not done(log) and loop.time() < deadline and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return log
