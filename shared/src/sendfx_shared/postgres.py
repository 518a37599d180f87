"""PostgreSQL helpers for the processes that own core data (never feature-api).

``apply_migrations`` applies the versioned SQL files of ``schema/migrations``
in name order, each in its own transaction (a failing file leaves the schema
as it was), under an advisory lock so that processes starting together apply
each file once.
"""

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg

_MIGRATION_LOCK_KEY = 0x53454E44  # "SEND"


@dataclass(frozen=True)
class Migration:
    version: str
    sql: str


def bundled_migrations() -> list[Migration]:
    folder = resources.files("sendfx_shared.schema") / "migrations"
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    return [Migration(version=f.name.removesuffix(".sql"), sql=f.read_text()) for f in files]


async def apply_migrations(
    connection: asyncpg.Connection, migrations: list[Migration] | None = None
) -> list[str]:
    """Apply what is missing; returns the versions applied by this call."""
    pending = bundled_migrations() if migrations is None else migrations
    applied_now: list[str] = []
    await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_KEY)
    try:
        await connection.execute(
            """
            CREATE TABLE IF NOT EXISTS public.sendfx_schema_migrations (
                version text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        done = {
            row["version"]
            for row in await connection.fetch("SELECT version FROM public.sendfx_schema_migrations")
        }
        for migration in pending:
            if migration.version in done:
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO public.sendfx_schema_migrations (version) VALUES ($1)",
                    migration.version,
                )
            applied_now.append(migration.version)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_KEY)
    return applied_now


async def _init_connection(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(
    url: str, *, min_size: int = 1, max_size: int = 10, **kwargs: Any
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection, **kwargs
    )
    assert pool is not None
    return pool


async def connect(url: str) -> asyncpg.Connection:
    connection = await asyncpg.connect(url)
    await _init_connection(connection)
    return connection
