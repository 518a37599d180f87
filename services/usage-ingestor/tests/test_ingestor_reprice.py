"""POST /api/admin/usage/reprice: costs and rollup recomputed in chunks,
idempotent, and safe while the ingestor keeps writing."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from sendfx_dev.testing.polling import eventually
from usage_ingestor.app import Ingestor
from usage_ingestor.schemas import RepriceIn
from usage_ingestor.services.reprice import reprice

from .support import bearer, create_workspace, http_client, ingest, publish, usage_event

AT = datetime(2026, 8, 10, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
async def client(ingestor: Ingestor) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(ingestor) as started:
        yield started


async def add_price(pool: asyncpg.Pool, model: str, rate: str) -> None:
    """A standard-tier version from 2020 at ``rate`` for every token kind but audio."""
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO core.model_prices (model, effective_from, input_per_mtok,"
            " cached_input_per_mtok, output_per_mtok, cache_write_per_mtok, source)"
            " VALUES ($1, '2020-01-01', $2, $2, $2, $2, 'admin')",
            model,
            Decimal(rate),
        )


async def rollup_and_rows(pool: asyncpg.Pool, workspace: uuid.UUID) -> tuple[Any, Any]:
    """(calls, cost, unpriced) per bucket from the rollup, and recounted from the calls."""
    async with pool.acquire() as conn:
        rollup = await conn.fetch(
            "SELECT hour, model, calls, cost_usd, unpriced_calls FROM core.usage_hourly"
            " WHERE workspace_id = $1 ORDER BY 1, 2",
            workspace,
        )
        rows = await conn.fetch(
            "SELECT date_trunc('hour', occurred_at, 'UTC') AS hour, model, count(*) AS calls,"
            " coalesce(sum(cost_usd), 0) AS cost_usd,"
            " count(*) FILTER (WHERE unpriced) AS unpriced_calls"
            " FROM core.openai_usage WHERE workspace_id = $1 GROUP BY 1, 2 ORDER BY 1, 2",
            workspace,
        )
    return [tuple(r) for r in rollup], [tuple(r) for r in rows]


async def test_a_price_correction_reprices_calls_and_rollup_once(
    client: httpx.AsyncClient, ingestor: Ingestor, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    model = f"rp-{uuid.uuid4().hex[:6]}"
    calls = [
        usage_event(workspace, model=model, occurred_at=AT + timedelta(minutes=i)) for i in range(5)
    ]
    other_day = usage_event(workspace, model=model, occurred_at=AT + timedelta(days=3))
    await ingest(pool, [*calls, other_day])  # no price for the model yet: unpriced
    await add_price(pool, model, "2.00")
    body = {"from": "2026-08-10", "to": "2026-08-10", "model": model}
    url = "/api/admin/usage/reprice"

    first = await client.post(url, json=body, headers=bearer(ingestor))
    again = await client.post(url, json=body, headers=bearer(ingestor))

    assert first.status_code == 200, first.text
    # 1500 tokens per call at $2 per 1M: $0.003 each.
    assert first.json() == {"calls": 5, "changed": 5, "cost_before": 0, "cost_after": 0.015}
    assert again.json() == {"calls": 5, "changed": 0, "cost_before": 0.015, "cost_after": 0.015}
    summary = (
        await client.get(
            f"/api/admin/workspaces/{workspace}/usage",
            params={"from": "2026-08-01", "to": "2026-08-31"},
            headers=bearer(ingestor),
        )
    ).json()
    assert (summary["totals"]["cost_usd"], summary["totals"]["unpriced_calls"]) == (0.015, 1)
    rollup, recounted = await rollup_and_rows(pool, workspace)
    assert rollup == recounted
    refused = await client.post(url, json=body, headers=bearer(ingestor, "user"))
    assert refused.status_code == 403
    backwards = await client.post(
        url, json={"from": "2026-08-10", "to": "2026-08-01"}, headers=bearer(ingestor)
    )
    assert backwards.status_code == 422


async def test_a_reprice_racing_the_ingestor_loses_and_doubles_nothing(
    ingestor: Ingestor, producer: AIOKafkaProducer, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    model = f"race-{uuid.uuid4().hex[:6]}"

    def batch(start: int, n: int) -> list[Any]:
        # Spread over three hours, so that chunks and batches share buckets.
        return [
            usage_event(workspace, model=model, occurred_at=AT + timedelta(seconds=7 * (start + i)))
            for i in range(n)
        ]

    async def stored() -> int:
        async with pool.acquire() as conn:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM core.openai_usage WHERE workspace_id = $1", workspace
                )
            )

    await publish(producer, ingestor.topic, batch(0, 1000))
    await eventually(lambda: _at_least(stored, 1000))
    await add_price(pool, model, "3.00")

    async def keep_publishing() -> None:
        for round_ in range(10):
            await publish(producer, ingestor.topic, batch(1000 + 200 * round_, 200))
            await asyncio.sleep(0.05)

    body = RepriceIn.model_validate({"from": "2026-08-10", "to": "2026-08-10", "model": model})
    publishing = asyncio.create_task(keep_publishing())
    passes = []
    while not publishing.done() or await stored() < 3000:
        # many small transactions, over and over while batches keep landing
        passes.append(await reprice(pool, body, chunk=150))
    await publishing

    assert len(passes) >= 2 and passes[0].calls >= 1000
    rollup, recounted = await rollup_and_rows(pool, workspace)
    assert rollup == recounted  # every bucket: calls, cost and unpriced as the calls say
    assert sum(r[2] for r in rollup) == 3000
    await reprice(pool, body, chunk=150)  # whatever the ingestor priced meanwhile
    settled = await reprice(pool, body, chunk=150)
    assert (settled.calls, settled.changed) == (3000, 0)
    assert settled.cost_after == Decimal("3000") * 1500 * 3 / 1_000_000
    assert (await rollup_and_rows(pool, workspace))[0] == (await rollup_and_rows(pool, workspace))[
        1
    ]


async def _at_least(count: Any, n: int) -> bool:
    return bool(await count() >= n)
