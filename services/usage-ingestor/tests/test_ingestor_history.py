"""The partitioned usage history (migration 0050): exactly once across months
in both CloudEvents modes, no event lost for a month without a partition,
retention that keeps the rollups, and reprice and the calls across months."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from sendfx_dev.databases import (
    create_database,
    database_url,
    drop_database,
    platform_database,
    provision_database,
    role_url,
)
from sendfx_dev.ownership import OPERATOR, USAGE_INGESTOR
from sendfx_dev.testing.infra import TestInfra
from sendfx_dev.testing.polling import eventually
from sendfx_shared.migrations import apply_migrations
from sendfx_shared.postgres import connect
from usage_ingestor.app import Ingestor
from usage_ingestor.history import upkeep
from usage_ingestor.migrations import USAGE_INGESTOR_MIGRATIONS
from usage_ingestor.repositories.partitions import list_partitions
from usage_ingestor.settings import IngestorSettings
from usage_ingestor.store import UsageColumns, write_batch

from .support import (
    BOOK,
    bearer,
    create_workspace,
    http_client,
    ingest,
    publish,
    publish_binary,
    usage_event,
)

NOW = datetime.now(UTC)
# The first instant of next month (UTC): its partition exists ahead of need.
NEXT_MONTH = (
    NOW.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)
).replace(day=1)


@pytest.fixture(scope="module")
async def client(ingestor: Ingestor) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(ingestor) as started:
        yield started


async def partitions_of(pool: asyncpg.Pool, workspace: uuid.UUID) -> list[tuple[str, int]]:
    """(partition, rows) of the workspace's calls."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT tableoid::regclass::text AS part, count(*) AS n FROM core.openai_usage"
            " WHERE workspace_id = $1 GROUP BY 1 ORDER BY 1",
            workspace,
        )
    return [(r["part"].removeprefix("core."), r["n"]) for r in rows]


async def test_duplicates_around_a_month_boundary_are_stored_once_in_both_modes(
    ingestor: Ingestor, producer: AIOKafkaProducer, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    before = usage_event(workspace, occurred_at=NEXT_MONTH - timedelta(milliseconds=1))
    after = usage_event(workspace, occurred_at=NEXT_MONTH)

    await publish(producer, ingestor.topic, [before, after, before])
    await publish_binary(producer, ingestor.topic, [after, before])
    await publish(producer, ingestor.topic, [after])
    sentinel = usage_event(workspace, occurred_at=NEXT_MONTH, prompt=0, cached=0, completion=0)
    await publish_binary(producer, ingestor.topic, [sentinel, after])

    async def all_in() -> bool:
        return sum(n for _, n in await partitions_of(pool, workspace)) >= 3

    await eventually(all_in)
    later = NEXT_MONTH.strftime("%Y_%m")
    earlier = (NEXT_MONTH - timedelta(days=1)).strftime("%Y_%m")
    assert await partitions_of(pool, workspace) == [
        (f"openai_usage_{earlier}", 1),
        (f"openai_usage_{later}", 2),
    ]
    async with pool.acquire() as conn:
        calls = await conn.fetchval(
            "SELECT sum(calls) FROM core.usage_hourly WHERE workspace_id = $1", workspace
        )
    assert calls == 3


async def test_an_event_of_a_month_without_partition_is_kept_then_moved(
    ingestor: Ingestor, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    far = usage_event(workspace, occurred_at=datetime(2031, 7, 15, 9, tzinfo=UTC))

    async with ingestor.pool.acquire() as conn:
        await write_batch(conn, UsageColumns.of([far], BOOK))
        assert await partitions_of(pool, workspace) == [("openai_usage_default", 1)]
        done = await upkeep(conn, ingestor.settings)
        assert "core.openai_usage_2031_07" in done.made
        # A redelivery once its month has a partition is still a duplicate.
        again = await write_batch(conn, UsageColumns.of([far], BOOK))

    assert again.inserted == 0
    assert await partitions_of(pool, workspace) == [("openai_usage_2031_07", 1)]


async def test_reprice_and_the_calls_span_partitions(
    client: httpx.AsyncClient, ingestor: Ingestor, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    model = f"hist-{uuid.uuid4().hex[:6]}"
    times = [NEXT_MONTH + timedelta(minutes=m) for m in (-61, -1, 0, 30)]
    await ingest(pool, [usage_event(workspace, model=model, occurred_at=t) for t in times])
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO core.model_prices (model, effective_from, input_per_mtok,"
            " cached_input_per_mtok, output_per_mtok, cache_write_per_mtok, source)"
            " VALUES ($1, '2020-01-01', 2, 2, 2, 2, 'admin')",
            model,
        )
    first_day = (NEXT_MONTH - timedelta(days=1)).date().isoformat()
    last_day = NEXT_MONTH.date().isoformat()

    repriced = await client.post(
        "/api/admin/usage/reprice",
        json={"from": first_day, "to": last_day, "model": model},
        headers=bearer(ingestor),
    )
    seen: list[dict[str, object]] = []
    cursor = None
    while True:
        params = {"from": first_day, "to": last_day, "limit": "3"}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(
            f"/api/admin/workspaces/{workspace}/usage/calls",
            params=params,
            headers=bearer(ingestor),
        )
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    assert repriced.status_code == 200, repriced.text
    # 1500 tokens per call at $2 per 1M: $0.003 each, two calls on each side.
    assert repriced.json() == {"calls": 4, "changed": 4, "cost_before": 0, "cost_after": 0.012}
    assert [datetime.fromisoformat(str(s["occurred_at"])) for s in seen] == times
    assert {Decimal(str(s["cost_usd"])) for s in seen} == {Decimal("0.003")}
    async with pool.acquire() as conn:
        rollup = await conn.fetchval(
            "SELECT sum(cost_usd) FROM core.usage_hourly WHERE workspace_id = $1", workspace
        )
    assert rollup == Decimal("0.012")


async def test_retention_drops_old_months_and_keeps_the_rollups(sendfx_infra: TestInfra) -> None:
    # A database of its own: dropping months must not touch the other tests' calls.
    name = f"sendfx_history_{uuid.uuid4().hex[:8]}"
    admin_url = await platform_database(sendfx_infra.postgres_admin_url, name)
    conn = await connect(role_url(admin_url, USAGE_INGESTOR))
    try:
        workspace = uuid.uuid4()
        old = usage_event(workspace, occurred_at=NOW - timedelta(days=450))
        recent = usage_event(workspace, occurred_at=NOW - timedelta(days=20))
        await write_batch(conn, UsageColumns.of([old, recent], BOOK))
        settings_keep_all = _settings(retention_months=0)
        kept = await upkeep(conn, settings_keep_all)
        old_part = f"core.openai_usage_{old.data.occurred_at.strftime('%Y_%m')}"
        assert old_part in kept.made and kept.dropped == []

        done = await upkeep(conn, _settings(retention_months=12))

        assert done.dropped == [old_part]
        left = await conn.fetch(
            "SELECT event_id FROM core.openai_usage WHERE workspace_id = $1", workspace
        )
        assert [r["event_id"] for r in left] == [recent.id]
        rollup = await conn.fetchval(
            "SELECT sum(calls) FROM core.usage_hourly WHERE workspace_id = $1", workspace
        )
        counted = await conn.fetchval(
            "SELECT sum(count) FROM core.usage_counters"
            " WHERE workspace_id = $1 AND metric = 'ai_calls'",
            workspace,
        )
        assert (rollup, counted) == (2, 2)
        # Every partition left is covered for the operator (verify, reset-factory).
        for part, _, _ in await list_partitions(conn):
            assert await conn.fetchval(
                "SELECT has_table_privilege($1, $2, 'SELECT')"
                " AND has_table_privilege($1, $2, 'TRUNCATE')",
                OPERATOR,
                f"core.{part}",
            ), part
        assert old_part.removeprefix("core.") not in {p for p, _, _ in await list_partitions(conn)}
    finally:
        await conn.close()
        await drop_database(sendfx_infra.postgres_admin_url, name)


async def test_the_migration_moves_the_calls_stored_before_it(sendfx_infra: TestInfra) -> None:
    name = f"sendfx_history_{uuid.uuid4().hex[:8]}"
    admin = sendfx_infra.postgres_admin_url
    await create_database(admin, name)
    await provision_database(admin, name, migrate=("core-api",))
    conn = await connect(role_url(database_url(admin, name), USAGE_INGESTOR))
    try:
        every = USAGE_INGESTOR_MIGRATIONS.migrations()
        before = [m for m in every if m.version < "0050"]
        await apply_migrations(conn, USAGE_INGESTOR_MIGRATIONS, before)
        workspace = uuid.uuid4()
        calls = [
            usage_event(workspace, occurred_at=datetime(2025, 3, 31, 23, 59, tzinfo=UTC)),
            usage_event(workspace, occurred_at=datetime(2025, 4, 1, tzinfo=UTC)),
        ]
        # As the ingestor before 0050 stored them (its key had no occurred_at).
        await conn.executemany(
            "INSERT INTO core.openai_usage (event_source, event_id, workspace_id, service,"
            " model, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens,"
            " total_tokens, occurred_at) VALUES ($1, $2, $3, 'ai_reply', 'm1', 1, 0, 1, 0, 2, $4)",
            [(c.source, c.id, workspace, c.data.occurred_at) for c in calls],
        )

        await apply_migrations(conn, USAGE_INGESTOR_MIGRATIONS)

        moved = await conn.fetch(
            "SELECT tableoid::regclass::text AS part, event_id FROM core.openai_usage"
            " ORDER BY occurred_at"
        )
        assert [(r["part"], r["event_id"]) for r in moved] == [
            ("core.openai_usage_2025_03", calls[0].id),
            ("core.openai_usage_2025_04", calls[1].id),
        ]
        # Stored once still: the redelivery of both inserts nothing.
        assert (await write_batch(conn, UsageColumns.of(calls, BOOK))).inserted == 0
    finally:
        await conn.close()
        await drop_database(admin, name)


def _settings(retention_months: int) -> IngestorSettings:
    return IngestorSettings(
        postgres_url="postgresql://unused/unused", retention_months=retention_months
    )
