"""A message that is not a core record never stops the load, and is never lost."""

import json

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from migrator.extract import run_extract
from migrator.load import run_load
from migrator.testing import Scenario, fetch
from sendfx_shared.kafka import DLQ_REASON_HEADER


async def test_malformed_messages_go_to_the_dlq_and_the_rejects(scenario: Scenario) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=scenario.kafka, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(
            scenario.topic, b"{not json", key=b"users:65a0f0c2e4b0a1b2c3d4e5f6"
        )
        wrong = {"specversion": "1.0", "id": "x", "source": "/elsewhere", "type": "other.event"}
        await producer.send_and_wait(
            scenario.topic, json.dumps(wrong).encode(), key=b"tiers:75a0f0c2e4b0a1b2c3d4e5f6"
        )
    finally:
        await producer.stop()
    await run_extract(scenario.extract_settings(), collections=["tiers"])

    summary = await run_load(scenario.load_settings())
    assert summary.malformed == 2
    assert summary.outcome.migrated["tiers"] == 5  # the good records around them still load
    rejects = {
        (r["collection"], r["legacy_id"]): r["reason"]
        for r in await fetch(
            scenario.postgres_url,
            "SELECT collection, legacy_id, reason FROM core.migration_rejects",
        )
    }
    assert rejects[("users", "65a0f0c2e4b0a1b2c3d4e5f6")].startswith("malformed message: not JSON")
    assert "not a migrator.core-record" in rejects[("tiers", "75a0f0c2e4b0a1b2c3d4e5f6")]

    consumer = AIOKafkaConsumer(bootstrap_servers=scenario.kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        dlq_topic = f"{scenario.topic}.dlq"
        await consumer.topics()
        partitions = [
            TopicPartition(dlq_topic, p) for p in consumer.partitions_for_topic(dlq_topic) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        messages = []
        for _ in range(50):
            batches = await consumer.getmany(timeout_ms=200)
            messages.extend(m for batch in batches.values() for m in batch)
            if len(messages) >= 2:
                break
    finally:
        await consumer.stop()
    assert len(messages) == 2
    assert all(dict(m.headers).get(DLQ_REASON_HEADER) for m in messages)
