"""A message that is not a core record never stops the load, and is never lost."""

import json

from aiokafka import AIOKafkaProducer

from migrator.extract import run_extract
from migrator.load import run_load
from sendfx_shared.kafka import DLQ_REASON_HEADER

from .support import Scenario, dead_letters, fetch


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
            "SELECT collection, legacy_id, reason FROM migrator.migration_rejects",
        )
    }
    assert rejects[("users", "65a0f0c2e4b0a1b2c3d4e5f6")].startswith("malformed message: not JSON")
    assert "not a migrator.core-record" in rejects[("tiers", "75a0f0c2e4b0a1b2c3d4e5f6")]

    messages = await dead_letters(scenario, expected=2)
    assert len(messages) == 2
    assert all(dict(m.headers).get(DLQ_REASON_HEADER) for m in messages)
