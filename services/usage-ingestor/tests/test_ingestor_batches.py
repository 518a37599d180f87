"""BatchIngestor without a consumer group: price edits, database refusals."""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from sendfx_dev.testing.polling import eventually
from sendfx_shared.events.envelope import CloudEvent
from sendfx_shared.kafka import DLQ_REASON_HEADER
from sendfx_shared.topics import dlq_of
from usage_ingestor.ingest import REJECTED_BY_DATABASE, Backoff, BatchIngestor, is_data_error
from usage_ingestor.settings import IngestorSettings
from usage_ingestor.topics import ensure_topics

from .support import binary_mode, create_workspace, usage_event


@dataclass
class FakeRecord:
    value: bytes | None
    key: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@pytest.fixture(scope="module")
async def batches(
    pool: asyncpg.Pool, producer: AIOKafkaProducer, ingestor_settings: IngestorSettings
) -> AsyncIterator[BatchIngestor]:
    topic = f"{ingestor_settings.kafka_topic_prefix}batches.openai.call.completed"
    await ensure_topics(ingestor_settings, {topic: 1, dlq_of(topic): 1})
    ingestor = BatchIngestor(pool, producer, topic, Backoff(0.05, 0.2))
    await ingestor.refresh_prices()
    yield ingestor


async def add_price(pool: asyncpg.Pool, model: str, input_rate: str) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO core.model_prices (model, effective_from, input_per_mtok,"
            " cached_input_per_mtok, output_per_mtok, source) VALUES ($1, '2020-01-01', $2, $2, $2,"
            " 'admin')",
            model,
            Decimal(input_rate),
        )


async def cost_of(pool: asyncpg.Pool, event_id: str) -> Decimal | None:
    async with pool.acquire() as conn:
        cost: Decimal | None = await conn.fetchval(
            "SELECT cost_usd FROM core.openai_usage WHERE event_id = $1", event_id
        )
    return cost


def record(event: CloudEvent[Any]) -> FakeRecord:
    return FakeRecord(event.to_json_bytes(), key=b"k")


async def test_an_admin_price_edit_applies_to_later_batches(
    batches: BatchIngestor, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    model = f"house-model-{uuid.uuid4().hex[:6]}"
    before = usage_event(workspace, model=model, prompt=1_000_000, cached=0, completion=0)
    await batches.ingest([record(before)])

    await add_price(pool, model, "2.00")
    after = usage_event(workspace, model=model, prompt=1_000_000, cached=0, completion=0)
    await batches.ingest([])  # the batch being prepared when the edit lands keeps the old book
    await batches.ingest([record(after)])

    assert await cost_of(pool, before.id) is None
    assert await cost_of(pool, after.id) == Decimal("2.0000000000")


async def test_a_row_the_database_refuses_is_dead_lettered_and_the_rest_stored(
    batches: BatchIngestor,
    pool: asyncpg.Pool,
    dlq_consumer: AIOKafkaConsumer,
) -> None:
    workspace = await create_workspace(pool)
    model = f"absurd-model-{uuid.uuid4().hex[:6]}"
    await add_price(pool, model, "999999")
    await batches.refresh_prices()
    # A cost of ~1e12 USD does not fit core.openai_usage.cost_usd: numeric overflow.
    refused = usage_event(workspace, model=model, prompt=10**12, cached=0, completion=0)
    fine = [usage_event(workspace) for _ in range(6)]
    dlq = TopicPartition(dlq_of(batches.topic), 0)
    dlq_consumer.assign([dlq])
    await dlq_consumer.seek_to_end(dlq)

    await batches.ingest([record(e) for e in (*fine[:3], refused, *fine[3:])])

    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM core.openai_usage WHERE workspace_id = $1", workspace
        )
    assert stored == 6
    dead: list[Any] = []

    async def dead_lettered() -> bool:
        fetched = await dlq_consumer.getmany(dlq, timeout_ms=200)
        dead.extend(fetched.get(dlq, []))
        return bool(dead)

    await eventually(dead_lettered)
    reason = dict(dead[0].headers)[DLQ_REASON_HEADER].decode()
    assert reason.startswith(f"{REJECTED_BY_DATABASE}: 22003")
    assert json.loads(dead[0].value)["original"]["id"] == refused.id


async def test_every_message_of_a_batch_is_accounted_for(
    batches: BatchIngestor, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    events = [
        usage_event(workspace, occurred_at=datetime(2026, 1, 5, tzinfo=UTC)) for _ in range(4)
    ]
    before = batches.stats.inserted, batches.stats.duplicates, batches.stats.dead_lettered
    records = [record(e) for e in events] + [record(events[0]), FakeRecord(b"nope", key=b"k")]

    await batches.ingest(records)
    await batches.ingest([record(events[1])])

    after = batches.stats.inserted, batches.stats.duplicates, batches.stats.dead_lettered
    assert [a - b for a, b in zip(after, before, strict=True)] == [4, 2, 1]


async def test_a_poison_message_too_big_to_dead_letter_whole_is_cut_not_stuck(
    batches: BatchIngestor, dlq_consumer: AIOKafkaConsumer
) -> None:
    # Not UTF-8: the body's JSON escapes every byte as \ufffd, six times its size.
    huge = bytes(range(128, 256)) * 2048
    key = uuid.uuid4().bytes
    dlq = TopicPartition(dlq_of(batches.topic), 0)
    dlq_consumer.assign([dlq])
    await dlq_consumer.seek_to_end(dlq)

    await batches.ingest([FakeRecord(huge, key=key)])

    dead: list[Any] = []

    async def dead_lettered() -> bool:
        fetched = await dlq_consumer.getmany(dlq, timeout_ms=200)
        dead.extend(r for r in fetched.get(dlq, []) if r.key == key)
        return bool(dead)

    await eventually(dead_lettered)
    reason = dict(dead[0].headers)[DLQ_REASON_HEADER].decode()
    assert reason.startswith("not valid JSON") and "cut to its first" in reason


@pytest.mark.parametrize(
    ("error", "set_aside"),
    [
        (asyncpg.NumericValueOutOfRangeError("numeric field overflow"), True),
        (asyncpg.ForeignKeyViolationError("no such workspace"), True),
        (asyncpg.AdminShutdownError("terminating connection"), False),
        (asyncpg.DeadlockDetectedError("deadlock"), False),
        (asyncpg.ConnectionDoesNotExistError("closed"), False),
        (ConnectionRefusedError(), False),
        (TimeoutError(), False),
    ],
)
def test_only_errors_caused_by_the_rows_set_messages_aside(
    error: Exception, set_aside: bool
) -> None:
    assert is_data_error(error) is set_aside


async def test_a_value_the_driver_cannot_encode_is_set_aside(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(Exception) as raised:
            await conn.fetchval("SELECT $1::int4", "not a number")
    assert is_data_error(raised.value)


TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_a_batch_carries_the_producers_trace_contexts(
    batches: BatchIngestor, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    value, headers = binary_mode(usage_event(workspace), traceparent=TRACE)
    structured = usage_event(workspace)
    traced = FakeRecord(
        structured.to_json_bytes(),
        headers=[*structured.kafka_headers(), ("traceparent", TRACE.encode())],
    )
    malformed = FakeRecord(
        usage_event(workspace).to_json_bytes(), headers=[("traceparent", b"not-a-trace")]
    )

    prepared = await batches.prepare([FakeRecord(value, headers=headers), traced, malformed])

    assert len(prepared.accepted) == 3 and not prepared.rejected
    assert prepared.traceparents == [TRACE]
