"""Publishing events and dead letters on the real broker."""

import asyncio
import json
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from sendfx_shared.events import new_event
from sendfx_shared.kafka import DLQ_REASON_HEADER, make_producer, publish_to_dlq
from sendfx_shared.settings import KafkaSettings


async def read_one(
    bootstrap: str, topic: str
) -> tuple[bytes | None, bytes | None, dict[str, bytes]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        message = await asyncio.wait_for(consumer.getone(), timeout=30)
        return message.key, message.value, dict(message.headers)
    finally:
        await consumer.stop()


async def create_topics(bootstrap: str, *names: str) -> None:
    """One partition each, so a reader of partition 0 sees every message."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(n, num_partitions=1, replication_factor=1) for n in names]
        )
    finally:
        await admin.close()


async def test_an_event_is_published_in_structured_mode(
    kafka_bootstrap_servers: str, topic_prefix: str
) -> None:
    settings = KafkaSettings(
        kafka_bootstrap_servers=kafka_bootstrap_servers, kafka_topic_prefix=topic_prefix
    )
    topic = settings.topic(f"shared-test-{uuid.uuid4().hex[:6]}")
    await create_topics(kafka_bootstrap_servers, topic)
    producer = make_producer(settings)
    await producer.start()
    try:
        event = new_event(source="/sendfx/test", type="thing.happened", data={"n": 1})
        await producer.send_and_wait(
            topic, value=event.to_json_bytes(), key=b"agg-1", headers=event.kafka_headers()
        )
    finally:
        await producer.stop()
    key, value, headers = await read_one(kafka_bootstrap_servers, topic)
    assert key == b"agg-1"
    assert headers["content-type"] == b"application/cloudevents+json"
    assert value is not None
    assert json.loads(value)["id"] == event.id


async def test_a_rejected_message_reaches_the_dlq_with_its_reason(
    kafka_bootstrap_servers: str, topic_prefix: str
) -> None:
    settings = KafkaSettings(
        kafka_bootstrap_servers=kafka_bootstrap_servers, kafka_topic_prefix=topic_prefix
    )
    topic = settings.topic(f"shared-test-{uuid.uuid4().hex[:6]}")
    await create_topics(kafka_bootstrap_servers, topic, f"{topic}.dlq")
    producer = make_producer(settings)
    await producer.start()
    try:
        await publish_to_dlq(
            producer, topic, key=b"k", value=b"{not json", headers=[], reason="not valid JSON"
        )
    finally:
        await producer.stop()
    key, value, headers = await read_one(kafka_bootstrap_servers, f"{topic}.dlq")
    assert key == b"k"
    assert headers[DLQ_REASON_HEADER] == b"not valid JSON"
    assert value is not None
    assert json.loads(value) == {"reason": "not valid JSON", "original": "{not json"}
