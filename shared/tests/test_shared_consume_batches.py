"""The batch consumer runner: a part is stored as soon as it is prepared, each
partition's parts in their order, and never committed past a part that failed."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from sendfx_dev.testing.topics import ensure_topic
from sendfx_shared.consume.batches import BatchConsumer
from sendfx_shared.kafka import make_producer
from sendfx_shared.settings import KafkaSettings

Records = Sequence[ConsumerRecord[bytes, bytes]]
PARTITIONS = 2


async def two_partition_topic(settings: KafkaSettings, per_partition: int) -> str:
    """A topic holding ``per_partition`` numbered records in each of two partitions."""
    topic = f"batches-{uuid.uuid4().hex[:8]}"
    await ensure_topic(settings.kafka_bootstrap_servers, topic, PARTITIONS)
    producer = make_producer(settings)
    await producer.start()
    try:
        for number in range(per_partition):
            for partition in range(PARTITIONS):
                await producer.send(topic, str(number).encode(), partition=partition)
        await producer.flush()
    finally:
        await producer.stop()
    return topic


def offsets(records: Records) -> list[tuple[int, int]]:
    return [(record.partition, record.offset) for record in records]


async def as_polled(records: Records) -> Records:
    return records


def runner_of(
    settings: KafkaSettings,
    topic: str,
    group: str,
    store: Callable[[Records], Awaitable[None]],
    prepare: Callable[[Records], Awaitable[Records]] = as_polled,
    **options: Any,
) -> BatchConsumer[Records]:
    return BatchConsumer[Records](
        settings, topic, group, prepare=prepare, store=store, name="test batches", **options
    )


async def test_a_part_is_stored_while_the_rest_of_its_poll_is_prepared(
    kafka_bootstrap_servers: str,
) -> None:
    """The first partition's events reach the store before the second
    partition's part of the same poll has finished its preparation; every
    partition's records are stored once each, in their order."""
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap_servers)
    topic = await two_partition_topic(settings, per_partition=20)
    first_store_started = asyncio.Event()
    stored: list[tuple[int, int]] = []
    all_stored = asyncio.Event()
    prepares = 0
    stores_waited_for_the_poll = False

    async def prepare(records: Records) -> Records:
        nonlocal prepares, stores_waited_for_the_poll
        prepares += 1
        if prepares == 2:
            try:
                await asyncio.wait_for(first_store_started.wait(), 5)
            except TimeoutError:
                # The first store waited for the whole poll to be prepared.
                stores_waited_for_the_poll = True
        return records

    async def store(records: Records) -> None:
        first_store_started.set()
        await asyncio.sleep(0.05)
        stored.extend(offsets(records))
        if len(stored) == 2 * 20:
            all_stored.set()

    runner = runner_of(settings, topic, f"g-{uuid.uuid4().hex[:6]}", store, prepare)
    await runner.start()
    try:
        await asyncio.wait_for(all_stored.wait(), 60)
    finally:
        await runner.stop()
    assert not stores_waited_for_the_poll
    for partition in range(PARTITIONS):
        assert [o for p, o in stored if p == partition] == list(range(20))


async def test_a_failed_part_is_never_committed_past(kafka_bootstrap_servers: str) -> None:
    """A store that fails once: the partition's later parts, already prepared,
    are not stored over it, and the runner comes back for the failed records."""
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap_servers)
    topic = await two_partition_topic(settings, per_partition=12)
    stored: list[tuple[int, int]] = []
    failed: list[tuple[int, int]] = []
    all_stored = asyncio.Event()

    async def store(records: Records) -> None:
        if not failed and records[0].partition == 0:
            failed.extend(offsets(records))
            await asyncio.sleep(0.5)  # while the next polls are prepared
            raise RuntimeError("the store is away")
        stored.extend(offsets(records))
        if len(set(stored)) == 2 * 12:
            all_stored.set()

    group = f"g-{uuid.uuid4().hex[:6]}"
    runner = runner_of(
        settings,
        topic,
        group,
        store,
        max_records=3,  # several polls, so later parts are prepared behind the failure
        retry_seconds=0.1,
        # The failed consumer's successor rejoins the group within the session.
        session_timeout_ms=3000,
        heartbeat_interval_ms=1000,
    )
    await runner.start()
    try:
        await asyncio.wait_for(all_stored.wait(), 60)
    finally:
        await runner.stop()
    assert failed and failed[0] == (0, 0)
    # Partition 0 from its failed part on, in order: nothing behind the failed
    # part was stored (and committed) before it; partition 1 went on.
    assert [o for p, o in stored if p == 0] == list(range(12))
    assert {o for p, o in stored if p == 1} == set(range(12))
    committed = await committed_offsets(settings, topic, group)
    assert committed == {0: 12, 1: 12}


async def committed_offsets(settings: KafkaSettings, topic: str, group: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        found: dict[int, int] = {}
        for partition in range(PARTITIONS):
            offset = await consumer.committed(TopicPartition(topic, partition))
            found[partition] = offset if offset is not None else -1
        return found
    finally:
        await consumer.stop()


async def test_stop_lets_the_stores_in_flight_finish_and_commit(
    kafka_bootstrap_servers: str,
) -> None:
    """A graceful stop (a deploy) waits for the batch being written, within
    its grace, so that its records are committed rather than redelivered."""
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap_servers)
    topic = await two_partition_topic(settings, per_partition=5)
    storing = asyncio.Event()
    began: list[tuple[int, int]] = []
    stored: list[tuple[int, int]] = []

    async def store(records: Records) -> None:
        began.extend(offsets(records))
        storing.set()
        await asyncio.sleep(1.0)
        stored.extend(offsets(records))

    group = f"g-{uuid.uuid4().hex[:6]}"
    # Two polls: the stop lands while the second waits for the first.
    runner = runner_of(settings, topic, group, store, max_records=5)
    await runner.start()
    try:
        await asyncio.wait_for(storing.wait(), 60)
    finally:
        await runner.stop(grace_seconds=10)
    assert stored and sorted(stored) == sorted(began), "a store in flight was cut short"
    committed = await committed_offsets(settings, topic, group)
    for partition in {p for p, _ in stored}:
        assert committed[partition] == 1 + max(o for p, o in stored if p == partition)
