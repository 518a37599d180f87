import asyncpg
import pytest

from sendfx_shared.postgres import Migration, apply_migrations, bundled_migrations, connect


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
        "usage_daily",
        "outbox",
    } <= tables


async def test_applying_again_applies_nothing(postgres_url: str) -> None:
    conn = await connect(postgres_url)
    try:
        assert await apply_migrations(conn) == []
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_the_schema_as_it_was(postgres_url: str) -> None:
    conn = await connect(postgres_url)
    broken = Migration("9999_broken", "CREATE TABLE core.half_done (id int); SELECT 1/0;")
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await apply_migrations(conn, [*bundled_migrations(), broken])
        assert await conn.fetchval("SELECT to_regclass('core.half_done')") is None
        assert not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM public.sendfx_schema_migrations WHERE version = $1)",
            broken.version,
        )
    finally:
        await conn.close()
