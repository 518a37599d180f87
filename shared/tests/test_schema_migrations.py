"""The migration runner on the session's database, each set applied by its owner."""

import asyncpg
import pytest

from core_api.migrations import CORE_API_MIGRATIONS
from sendfx_dev.testing.infra import TestInfra
from sendfx_shared.migrations import Migration, apply_migrations
from sendfx_shared.postgres import connect


async def test_session_database_has_every_core_table(postgres_url: str) -> None:
    conn = await connect(postgres_url)
    try:
        tables = {
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core'"
            )
        }
    finally:
        await conn.close()
    assert {
        "users",
        "workspaces",
        "workspace_members",
        "tiers",
        "billing_accounts",
        "subscriptions",
        "usage_counters",
        "openai_usage",
        "usage_hourly",
        "outbox",
        "usage_outbox",
    } <= tables


async def test_applying_again_applies_nothing(sendfx_infra: TestInfra) -> None:
    conn = await connect(sendfx_infra.postgres_url_for("core-api"))
    try:
        assert await apply_migrations(conn, CORE_API_MIGRATIONS) == []
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_the_schema_as_it_was(sendfx_infra: TestInfra) -> None:
    conn = await connect(sendfx_infra.postgres_url_for("core-api"))
    broken = Migration("9999_broken", "CREATE TABLE core.half_done (id int); SELECT 1/0;")
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await apply_migrations(
                conn, CORE_API_MIGRATIONS, [*CORE_API_MIGRATIONS.migrations(), broken]
            )
        assert await conn.fetchval("SELECT to_regclass('core.half_done')") is None
        assert not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM core.core_api_schema_history WHERE version = $1)",
            broken.version,
        )
    finally:
        await conn.close()
