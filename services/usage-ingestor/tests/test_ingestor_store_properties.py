"""Property: however events are redelivered and cut into batches, each one is
metered exactly once, in the rows, the rollup and the counters alike."""

import asyncio
import itertools
import uuid
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendfx_shared.postgres import connect
from usage_ingestor.price_table import load_price_book
from usage_ingestor.store import UsageColumns, write_batch

from .support import usage_event

POOL_SIZE = 8


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Which events arrive in which order (repeats are redeliveries), where the
    stream is cut into batches, and the tokens of each distinct event."""
    order = draw(st.lists(st.integers(0, POOL_SIZE - 1), min_size=1, max_size=40))
    cuts = draw(st.lists(st.integers(1, len(order)), max_size=6, unique=True))
    tokens = draw(
        st.lists(
            st.tuples(st.integers(0, 10**6), st.integers(0, 10**5)),
            min_size=POOL_SIZE,
            max_size=POOL_SIZE,
        )
    )
    return order, sorted(cuts), tokens


async def scenario(url: str, order: list[int], cuts: list[int], tokens: list[Any]) -> None:
    conn = await connect(url)
    try:
        workspace = uuid.uuid4()
        book = await load_price_book(conn)
        pool = [
            usage_event(workspace, prompt=p, cached=p // 2, completion=c, model=model)
            for (p, c), model in zip(tokens, ["gpt-4o", "acme-x"] * POOL_SIZE, strict=False)
        ]
        bounds = [0, *cuts, len(order)]
        for start, end in itertools.pairwise(bounds):
            batch = [pool[i] for i in order[start:end]]
            await write_batch(conn, UsageColumns.of(batch, book))
        await assert_metered_once(conn, workspace, [pool[i] for i in set(order)])
    finally:
        await conn.close()


async def assert_metered_once(conn: asyncpg.Connection, workspace: Any, unique: list[Any]) -> None:
    calls, tokens = len(unique), sum(e.data.effective_total_tokens for e in unique)
    rows = await conn.fetchrow(
        "SELECT count(*) AS n, coalesce(sum(total_tokens), 0) AS tokens,"
        " coalesce(sum(cost_usd), 0) AS cost FROM core.openai_usage WHERE workspace_id = $1",
        workspace,
    )
    daily = await conn.fetchrow(
        "SELECT sum(calls) AS calls, sum(total_tokens) AS tokens, sum(cost_usd) AS cost"
        " FROM core.usage_hourly"
        " WHERE workspace_id = $1",
        workspace,
    )
    counters = {
        r["metric"]: r["count"]
        for r in await conn.fetch(
            "SELECT metric, count FROM core.usage_counters WHERE workspace_id = $1", workspace
        )
    }
    assert rows is not None and daily is not None
    assert (rows["n"], rows["tokens"]) == (calls, tokens)
    assert (daily["calls"], daily["tokens"], daily["cost"]) == (calls, tokens, rows["cost"])
    assert counters == {"ai_calls": calls, "ai_tokens": tokens}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deliveries())
def test_any_redelivery_pattern_meters_each_event_once(
    postgres_url: str, drawn: tuple[list[int], list[int], list[Any]]
) -> None:
    order, cuts, tokens = drawn
    asyncio.run(scenario(postgres_url, order, cuts, tokens))
