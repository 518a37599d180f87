"""The Mongo outbox relay under a crash and a broker outage: usage events
are never lost, and a re-sent event keeps its id (consumers dedupe on it)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from sendfx_dev.ports import free_port
from sendfx_shared.events.envelope import new_event, utc_now
from sendfx_shared.events.openai_usage import OpenAICallCompleted
from sendfx_shared.outbox.mongo import (
    OUTBOX,
    MongoOutboxRelay,
    MongoRelayConfig,
    RelayBatch,
    enqueue,
    ensure_outbox_indexes,
)
from sendfx_shared.settings import KafkaSettings

Db = AsyncDatabase[dict[str, Any]]


@pytest.fixture
async def outbox_db(feature_settings: Any, mongo_url: str) -> AsyncIterator[Db]:
    """A database of its own, so the app's relay does not drain it (made as the
    root user: feature-api's own may reach its database only)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    database = client[f"{feature_settings.mongo_database}_outbox_{uuid.uuid4().hex[:6]}"]
    await ensure_outbox_indexes(database)
    yield database
    await client.drop_database(database.name)
    await client.close()


async def _enqueue_usage(database: Db, count: int) -> list[str]:
    workspace_id = uuid.uuid4()
    ids = []
    for number in range(count):
        event = new_event(
            source="/sendfx/feature-api",
            type="openai.call.completed",
            data=OpenAICallCompleted(
                workspace_id=workspace_id,
                service="ai_reply",
                model="gpt-4o-mini",
                prompt_tokens=10 + number,
                completion_tokens=5,
                occurred_at=utc_now(),
            ).model_dump(mode="json"),
        )
        await enqueue(
            database, None, topic="openai.call.completed", key=str(workspace_id), event=event
        )
        ids.append(event.id)
    return ids


class CrashAfterPublish(MongoOutboxRelay):
    """Publishes, then dies before marking anything sent."""

    async def _record(
        self, rows: Sequence[Any], errors: Sequence[BaseException | None], result: RelayBatch
    ) -> None:
        raise SystemExit("crash between the broker's ack and the mark")


async def _drain(relay: MongoOutboxRelay) -> None:
    for _ in range(100):
        result = await relay.relay_batch()
        if result.not_leader:  # the crashed relay's lease has not run out yet
            await asyncio.sleep(0.1)
        elif result.sent == 0 and result.outage is None:
            return


@pytest.mark.slow
async def test_a_crash_between_ack_and_mark_loses_nothing(
    outbox_db: Db, feature_settings: Any, topic_prefix: str, read_topic: Any
) -> None:
    kafka = KafkaSettings(
        kafka_bootstrap_servers=feature_settings.kafka_bootstrap_servers,
        kafka_topic_prefix=f"{topic_prefix}crash.",
    )
    ids = await _enqueue_usage(outbox_db, 30)
    config = MongoRelayConfig(batch_size=12, lease_seconds=0.5)
    crashing = CrashAfterPublish(outbox_db, kafka, config)
    with pytest.raises(SystemExit):
        await crashing.relay_batch()
    await crashing._close_producer()  # the process is gone; its lease expires

    survivor = MongoOutboxRelay(outbox_db, kafka, config)
    try:
        await _drain(survivor)
    finally:
        await survivor.stop()
    assert await outbox_db[OUTBOX].count_documents({"sent_at": None}) == 0
    events = await read_topic("crash.openai.call.completed", at_least=len(ids) + 12)
    seen = [e["id"] for e in events]
    assert set(seen) == set(ids)  # nothing lost
    assert len(seen) == len(ids) + 12  # the first batch went twice, under the same ids
    # per-key order is kept: the first occurrence of each event is in enqueue order
    firsts = list(dict.fromkeys(seen))
    assert firsts == ids


@pytest.mark.slow
async def test_a_broker_outage_holds_events_until_it_ends(
    outbox_db: Db, feature_settings: Any, topic_prefix: str, read_topic: Any
) -> None:
    ids = await _enqueue_usage(outbox_db, 5)
    down = KafkaSettings(kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
    stalled = MongoOutboxRelay(
        outbox_db,
        down,
        MongoRelayConfig(lease_seconds=0.5, producer_overrides={"request_timeout_ms": 1000}),
    )
    result = await stalled.relay_batch()
    assert result.outage is not None and result.sent == 0
    await stalled.stop()
    assert await outbox_db[OUTBOX].count_documents({"sent_at": None}) == 5

    up = KafkaSettings(
        kafka_bootstrap_servers=feature_settings.kafka_bootstrap_servers,
        kafka_topic_prefix=f"{topic_prefix}outage.",
    )
    relay = MongoOutboxRelay(outbox_db, up, MongoRelayConfig(lease_seconds=0.5))
    try:
        await _drain(relay)
    finally:
        await relay.stop()
    events = await read_topic("outage.openai.call.completed", at_least=5)
    assert [e["id"] for e in events] == ids


async def test_only_one_relay_works_a_database_at_a_time(
    outbox_db: Db, feature_settings: Any
) -> None:
    kafka = KafkaSettings(kafka_bootstrap_servers=feature_settings.kafka_bootstrap_servers)
    first = MongoOutboxRelay(outbox_db, kafka, MongoRelayConfig(lease_seconds=30))
    second = MongoOutboxRelay(outbox_db, kafka, MongoRelayConfig(lease_seconds=30))
    assert not (await first.relay_batch()).not_leader
    assert (await second.relay_batch()).not_leader
    await first.stop()  # releases the lease
    assert not (await second.relay_batch()).not_leader
    await second.stop()


@pytest.mark.slow
async def test_a_refused_event_dies_alone_and_its_key_moves_on(
    outbox_db: Db, feature_settings: Any, topic_prefix: str, read_topic: Any
) -> None:
    kafka = KafkaSettings(
        kafka_bootstrap_servers=feature_settings.kafka_bootstrap_servers,
        kafka_topic_prefix=f"{topic_prefix}refused.",
    )
    key = str(uuid.uuid4())
    huge = new_event(
        source="/sendfx/feature-api", type="flow.updated", data={"blob": "x" * 2_000_000}
    )
    await enqueue(outbox_db, None, topic="feature.events", key=key, event=huge)
    after = new_event(source="/sendfx/feature-api", type="flow.updated", data={"n": 1})
    await enqueue(outbox_db, None, topic="feature.events", key=key, event=after)
    relay = MongoOutboxRelay(
        outbox_db, kafka, MongoRelayConfig(max_attempts=2, backoff_base=0.01, lease_seconds=5)
    )
    try:
        first = await relay.relay_batch()
        assert (first.sent, first.failed) == (0, 1)  # the later event waits behind it
        await asyncio.sleep(0.05)
        second = await relay.relay_batch()
        assert second.dead == 1
        await _drain(relay)
    finally:
        await relay.stop()
    dead = await outbox_db["outbox_dead"].find().to_list()
    assert [d["event_id"] for d in dead] == [huge.id]
    assert "MessageSizeTooLarge" in dead[0]["last_error"]
    events = await read_topic("refused.feature.events")
    assert [e["id"] for e in events] == [after.id]
