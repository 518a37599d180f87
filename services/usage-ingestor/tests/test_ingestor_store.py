"""store.write_batch against the real PostgreSQL: effects counted once."""

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from usage_ingestor.price_book import PriceBook
from usage_ingestor.price_table import load_price_book
from usage_ingestor.store import UsageColumns, threshold_event_id, write_batch

from .support import create_workspace, usage_event

Counts = Callable[[uuid.UUID], Awaitable[dict[str, Any]]]


@pytest.fixture
async def book(pool: asyncpg.Pool, ingestor_settings: Any) -> PriceBook:
    # core-api seeds the shipped prices at its start-up; here, as core-api would
    from core_api.repositories.price_file import insert_missing_prices, read_price_file
    from core_api.settings import DEFAULT_PRICES_FILE

    async with pool.acquire() as conn:
        await insert_missing_prices(conn, read_price_file(DEFAULT_PRICES_FILE))
        return await load_price_book(conn)


async def write(pool: asyncpg.Pool, book: PriceBook, events: list[Any]) -> Any:
    async with pool.acquire() as conn:
        return await write_batch(conn, UsageColumns.of(events, book))


async def test_a_redelivered_batch_changes_nothing(
    pool: asyncpg.Pool, book: PriceBook, usage_counts: Counts
) -> None:
    workspace = await create_workspace(pool)
    events = [usage_event(workspace) for _ in range(5)]

    first = await write(pool, book, events)
    again = await write(pool, book, [*events[2:], usage_event(workspace)])

    assert (first.inserted, again.inserted) == (5, 1)
    counts = await usage_counts(workspace)
    assert counts["rows"] == counts["calls"] == counts["ai_calls"] == 6
    assert counts["tokens"] == counts["ai_tokens"] == 6 * 1500


async def test_rows_are_priced_with_the_version_in_force(
    pool: asyncpg.Pool, book: PriceBook, usage_counts: Counts
) -> None:
    workspace = await create_workspace(pool)
    event = usage_event(workspace, model="gpt-4o-mini-2024-07-18")

    await write(pool, book, [event])

    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT u.cost_usd, u.unpriced, p.model FROM core.openai_usage u"
            " JOIN core.model_prices p ON p.id = u.price_id WHERE u.event_id = $1",
            event.id,
        )
    assert row is not None
    # (176 uncached x 0.15 + 1024 cached x 0.075 + 300 x 0.60) per 1M tokens = 283.2e-6
    assert row["cost_usd"] == Decimal("0.0002832000")
    assert (row["unpriced"], row["model"]) == (False, "gpt-4o-mini")
    assert (await usage_counts(workspace))["cost"] == Decimal("0.0002832000")


async def test_unknown_models_and_missing_usage_have_no_cost(
    pool: asyncpg.Pool, book: PriceBook, usage_counts: Counts
) -> None:
    workspace = await create_workspace(pool)
    unknown = usage_event(workspace, model="acme-llm-9")
    missing = usage_event(workspace, usage_missing=True)

    await write(pool, book, [unknown, missing])

    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT usage_missing, unpriced, cost_usd, price_id FROM core.openai_usage"
            " WHERE workspace_id = $1 ORDER BY usage_missing",
            workspace,
        )
    assert [tuple(r) for r in rows] == [(False, True, None, None), (True, True, None, None)]
    counts = await usage_counts(workspace)
    assert (counts["calls"], counts["ai_calls"], counts["unpriced"], counts["missing"]) == (
        2,
        2,
        2,
        1,
    )
    assert counts["cost"] == 0


async def test_rollup_splits_by_day_model_and_service(pool: asyncpg.Pool, book: PriceBook) -> None:
    workspace = await create_workspace(pool)
    day1 = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
    day2 = datetime(2026, 11, 1, 0, 1, tzinfo=UTC)
    events = [
        usage_event(workspace, occurred_at=day1, model="gpt-4o"),
        usage_event(workspace, occurred_at=day1, model="gpt-4o", service="assistant"),
        usage_event(workspace, occurred_at=day2, model="gpt-4o"),
        usage_event(workspace, occurred_at=day2, model="gpt-4o"),
    ]

    await write(pool, book, events)

    async with pool.acquire() as conn:
        daily = await conn.fetch(
            "SELECT (hour AT TIME ZONE 'UTC')::date::text AS day, service, sum(calls) AS calls"
            " FROM core.usage_hourly WHERE workspace_id = $1"
            " GROUP BY 1, 2 ORDER BY 1, 2",
            workspace,
        )
        periods = await conn.fetch(
            "SELECT period, count FROM core.usage_counters WHERE workspace_id = $1"
            " AND metric = 'ai_calls' ORDER BY period",
            workspace,
        )
    assert [tuple(r) for r in daily] == [
        ("2026-10-31", "ai_reply", 1),
        ("2026-10-31", "assistant", 1),
        ("2026-11-01", "ai_reply", 2),
    ]
    assert [tuple(r) for r in periods] == [("2026-10", 2), ("2026-11", 2)]


async def test_usage_of_an_unknown_workspace_is_kept(
    pool: asyncpg.Pool, book: PriceBook, usage_counts: Counts
) -> None:
    stranger = uuid.uuid4()

    result = await write(pool, book, [usage_event(stranger)])

    counts = await usage_counts(stranger)
    # counted like any other (the usage tables hold no foreign key to core-api's),
    # but no threshold: its limit is unknown until core.events announces it
    assert (result.inserted, counts["rows"], counts["calls"], counts["ai_calls"]) == (1, 1, 1, 1)
    assert result.thresholds == []


async def test_each_threshold_is_announced_once_per_period(
    pool: asyncpg.Pool, book: PriceBook
) -> None:
    workspace = await create_workspace(pool, ai_tokens_monthly=10_000)
    november = datetime(2026, 11, 3, tzinfo=UTC)
    december = datetime(2026, 12, 3, tzinfo=UTC)

    # 1500 tokens each: 5 calls = 7500 (75%), 6 = 9000 (90%), 7 = 10500 (105%)
    first = await write(
        pool,
        book,
        [usage_event(workspace, occurred_at=november)] * 1
        + [usage_event(workspace, occurred_at=november) for _ in range(4)],
    )
    at_90 = await write(pool, book, [usage_event(workspace, occurred_at=november)])
    at_90_again = await write(pool, book, [usage_event(workspace, occurred_at=november)])
    beyond = await write(pool, book, [usage_event(workspace, occurred_at=november)])
    next_month = await write(
        pool, book, [usage_event(workspace, occurred_at=december) for _ in range(6)]
    )

    assert first.thresholds == []
    assert [t.threshold_percent for t in at_90.thresholds] == [80]
    assert [t.threshold_percent for t in at_90_again.thresholds] == [100]
    assert beyond.thresholds == []
    assert [(t.period, t.threshold_percent) for t in next_month.thresholds] == [("2026-12", 80)]
    async with pool.acquire() as conn:
        outbox = await conn.fetch(
            "SELECT topic, message_key, event_type, event FROM core.usage_outbox"
            " WHERE message_key = $1 ORDER BY id",
            str(workspace),
        )
    assert [(r["topic"], r["event_type"]) for r in outbox] == [
        ("core.events", "usage.threshold_crossed")
    ] * 3
    events = [
        r["event"] if isinstance(r["event"], dict) else json.loads(r["event"]) for r in outbox
    ]
    assert [(e["data"]["period"], e["data"]["threshold_percent"]) for e in events] == [
        ("2026-11", 80),
        ("2026-11", 100),
        ("2026-12", 80),
    ]
    first_event = events[0]
    assert first_event["source"] == "/sendfx/usage-ingestor"
    assert first_event["specversion"] == "1.0"
    assert first_event["data"]["limit"] == 10_000
    assert first_event["data"]["tokens_used"] == 9000
    assert first_event["id"] == threshold_event_id(at_90.thresholds[0])


async def test_unlimited_tiers_never_cross(pool: asyncpg.Pool, book: PriceBook) -> None:
    workspace = await create_workspace(pool, ai_tokens_monthly=None)

    result = await write(pool, book, [usage_event(workspace, prompt=10**9)])

    assert result.thresholds == []


async def test_a_practically_unlimited_tier_neither_crosses_nor_breaks_metering(
    pool: asyncpg.Pool, book: PriceBook, usage_counts: Counts
) -> None:
    workspace = await create_workspace(pool, ai_tokens_monthly=2**62)

    result = await write(pool, book, [usage_event(workspace)])

    assert (result.inserted, result.thresholds) == (1, [])
    assert (await usage_counts(workspace))["ai_tokens"] == 1500


async def test_a_batch_that_adds_to_a_counter_and_a_bucket_stamps_them(
    pool: asyncpg.Pool, book: PriceBook
) -> None:
    # The migrator tells a counter the platform changed by its updated_at.
    workspace = await create_workspace(pool)
    at = datetime(2026, 11, 5, 10, 30, tzinfo=UTC)
    stamps = (
        "SELECT (SELECT max(updated_at) FROM core.usage_counters WHERE workspace_id = $1),"
        " (SELECT max(updated_at) FROM core.usage_hourly WHERE workspace_id = $1)"
    )
    await write(pool, book, [usage_event(workspace, occurred_at=at)])
    async with pool.acquire() as conn:
        first = await conn.fetchrow(stamps, workspace)

    await write(pool, book, [usage_event(workspace, occurred_at=at)])
    async with pool.acquire() as conn:
        second = await conn.fetchrow(stamps, workspace)

    assert second[0] > first[0]
    assert second[1] > first[1]
