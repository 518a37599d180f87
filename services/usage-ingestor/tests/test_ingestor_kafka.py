"""The ingestor consuming from the real broker into the real database.

One ingestor runs for the whole module (a group join costs ~5 s on Tansu);
it reaches PostgreSQL through a TCP proxy the outage test can cut. Each test
publishes for workspaces of its own and ends with a sentinel event on the
same key (same partition, so consumed after everything before it).
"""

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from sendfx_dev.testing.polling import eventually
from sendfx_dev.testing.proxy import TcpProxy
from sendfx_shared.kafka import DLQ_ORIGINAL_TOPIC_HEADER, DLQ_REASON_HEADER
from sendfx_shared.topics import dlq_of
from usage_ingestor.app import Ingestor

from .support import create_workspace, publish, publish_binary, publish_raw, usage_event

Counts = Callable[[uuid.UUID], Awaitable[dict[str, Any]]]


async def row_exists(pool: asyncpg.Pool, event_id: str) -> bool:
    async with pool.acquire() as conn:
        return bool(
            await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM core.openai_usage WHERE event_id = $1)", event_id
            )
        )


async def settle(
    producer: AIOKafkaProducer, topic: str, pool: asyncpg.Pool, workspace: uuid.UUID
) -> None:
    """Publishes a sentinel for ``workspace`` and waits until it is stored."""
    sentinel = usage_event(workspace, prompt=0, cached=0, completion=0)
    await publish(producer, topic, [sentinel])
    await eventually(lambda: row_exists(pool, sentinel.id))


async def test_the_same_event_three_times_is_metered_once(
    ingestor: Ingestor, producer: AIOKafkaProducer, pool: asyncpg.Pool, usage_counts: Counts
) -> None:
    workspace = await create_workspace(pool)
    once, twice = usage_event(workspace), usage_event(workspace)

    await publish(producer, ingestor.topic, [once, once, twice])  # within a batch
    await settle(producer, ingestor.topic, pool, workspace)
    await publish(producer, ingestor.topic, [once, twice])  # across batches
    await settle(producer, ingestor.topic, pool, workspace)

    counts = await usage_counts(workspace)
    assert counts["rows"] == counts["calls"] == counts["ai_calls"] == 4  # 2 + 2 sentinels
    assert counts["tokens"] == counts["ai_tokens"] == 2 * 1500


async def test_binary_mode_events_are_metered_like_structured_ones(
    ingestor: Ingestor, producer: AIOKafkaProducer, pool: asyncpg.Pool, usage_counts: Counts
) -> None:
    workspace = await create_workspace(pool)
    binary = usage_event(workspace, prompt=1000, cached=0, completion=500)

    await publish_binary(producer, ingestor.topic, [binary])
    await settle(producer, ingestor.topic, pool, workspace)

    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT event_source, prompt_tokens, completion_tokens, occurred_at"
            " FROM core.openai_usage WHERE event_id = $1",
            binary.id,
        )
    assert row is not None
    assert tuple(row) == (binary.source, 1000, 500, binary.data.occurred_at)
    assert (await usage_counts(workspace))["tokens"] == 1500


async def test_an_event_sent_in_both_modes_is_metered_once(
    ingestor: Ingestor, producer: AIOKafkaProducer, pool: asyncpg.Pool, usage_counts: Counts
) -> None:
    workspace = await create_workspace(pool)
    first, second = usage_event(workspace), usage_event(workspace)

    await publish_binary(producer, ingestor.topic, [first, first])  # binary twice in a batch
    await publish(producer, ingestor.topic, [first, second])  # then structured
    await settle(producer, ingestor.topic, pool, workspace)
    await publish_binary(producer, ingestor.topic, [second])  # binary in a later batch
    await settle(producer, ingestor.topic, pool, workspace)

    counts = await usage_counts(workspace)
    assert counts["rows"] == counts["calls"] == counts["ai_calls"] == 4  # 2 + 2 sentinels
    assert counts["tokens"] == counts["ai_tokens"] == 2 * 1500


async def test_poison_goes_to_the_dead_letter_topic_and_the_batch_goes_on(
    ingestor: Ingestor,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    dlq_consumer: AIOKafkaConsumer,
    usage_counts: Counts,
) -> None:
    workspace = await create_workspace(pool)
    key = str(workspace).encode()
    good = usage_event(workspace)
    envelope = json.loads(good.to_json_bytes())
    bad_data = {**envelope, "id": "bad-data", "data": {**envelope["data"], "prompt_tokens": -5}}
    not_usage = {**envelope, "id": "other-type", "type": "flow.created"}
    poison = [
        b"{not json",
        json.dumps({"hello": "world"}).encode(),
        json.dumps(bad_data).encode(),
        json.dumps(not_usage).encode(),
    ]
    dlq = TopicPartition(dlq_of(ingestor.topic), 0)
    dlq_consumer.assign([dlq])
    await dlq_consumer.seek_to_end(dlq)

    await publish_raw(producer, ingestor.topic, poison[:2], key=key)
    await publish(producer, ingestor.topic, [good])
    await publish_raw(producer, ingestor.topic, poison[2:], key=key)
    await settle(producer, ingestor.topic, pool, workspace)

    dead: list[Any] = []

    async def all_dead_lettered() -> bool:
        batch = await dlq_consumer.getmany(dlq, timeout_ms=200)
        dead.extend(r for r in batch.get(dlq, []) if r.key == key)
        return len(dead) >= len(poison)

    await eventually(all_dead_lettered)
    assert [r.value for r in dead] != []
    reasons = [dict(r.headers)[DLQ_REASON_HEADER].decode() for r in dead]
    assert [reason.split(":")[0] for reason in reasons] == [
        "not valid JSON",
        "not a CloudEvent",
        "invalid openai.call.completed data",
        "unexpected event type",
    ]
    assert "prompt_tokens" in reasons[2]
    bodies = [json.loads(r.value) for r in dead]
    assert [b["reason"] for b in bodies] == reasons
    assert bodies[0]["original"] == "{not json"
    assert bodies[2]["original"]["id"] == "bad-data"
    assert {dict(r.headers)[DLQ_ORIGINAL_TOPIC_HEADER].decode() for r in dead} == {ingestor.topic}
    assert (await usage_counts(workspace))["rows"] == 2  # the good event and the sentinel


async def test_calls_without_usage_are_recorded_unpriced(
    ingestor: Ingestor, producer: AIOKafkaProducer, pool: asyncpg.Pool, usage_counts: Counts
) -> None:
    workspace = await create_workspace(pool)
    missing = usage_event(workspace, usage_missing=True)

    await publish(producer, ingestor.topic, [missing])
    await settle(producer, ingestor.topic, pool, workspace)

    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT usage_missing, unpriced, cost_usd FROM core.openai_usage WHERE event_id = $1",
            missing.id,
        )
    assert row is not None and tuple(row) == (True, True, None)
    assert (await usage_counts(workspace))["missing"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("outage", ["connections refused", "black hole"])
async def test_a_database_outage_pauses_ingestion_and_loses_nothing(
    ingestor: Ingestor,
    db_proxy: TcpProxy,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    usage_counts: Counts,
    outage: str,
) -> None:
    workspace = await create_workspace(pool)
    events = [usage_event(workspace) for _ in range(50)]
    await settle(producer, ingestor.topic, pool, workspace)

    if outage == "connections refused":
        db_proxy.cut()
    else:  # answers nothing: only the statement timeout notices
        db_proxy.stall()
    try:
        await publish(producer, ingestor.topic, events[:25])
        await eventually(lambda: _paused(ingestor))
        assert ingestor.health()["status"] == "degraded"
        await publish(producer, ingestor.topic, events[25:])
        assert (await usage_counts(workspace))["rows"] == 1  # only the first sentinel
    finally:
        db_proxy.restore()
    await settle(producer, ingestor.topic, pool, workspace)

    counts = await usage_counts(workspace)
    assert counts["rows"] == counts["ai_calls"] == 52
    assert counts["ai_tokens"] == 50 * 1500
    assert ingestor.health()["status"] == "ok"


async def _paused(ingestor: Ingestor) -> bool:
    return ingestor.batches.stats.paused
