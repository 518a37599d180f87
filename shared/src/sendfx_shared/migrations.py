"""The schema migration runner (the schema files live with the process that owns them).

A process applies only its own ``MigrationSet``: the versioned SQL files of one
package, in name order, each in its own transaction (a failing file leaves the
schema as it was), under an advisory lock so that instances starting together
apply each file once. The history of a set is a table the owning process owns,
so no process can rewrite another's history, and the tables a file creates are
owned by the role that applied it.
"""

from dataclasses import dataclass
from importlib import resources
from typing import Final

import asyncpg

_MIGRATION_LOCK_KEY: Final = 0x53454E44  # "SEND"


@dataclass(frozen=True)
class Migration:
    version: str
    sql: str


@dataclass(frozen=True)
class MigrationSet:
    """One process's schema files: ``package`` holds ``NNNN_name.sql`` files."""

    process: str
    package: str
    history_table: str

    def migrations(self) -> list[Migration]:
        folder = resources.files(self.package)
        files = sorted(
            (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
            key=lambda entry: entry.name,
        )
        return [Migration(version=f.name.removesuffix(".sql"), sql=f.read_text()) for f in files]


async def apply_migrations(
    connection: asyncpg.Connection,
    owner: MigrationSet,
    migrations: list[Migration] | None = None,
) -> list[str]:
    """Apply what is missing of ``owner``'s files; returns the versions applied now."""
    pending = owner.migrations() if migrations is None else migrations
    history = owner.history_table
    applied_now: list[str] = []
    await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_KEY)
    try:
        await connection.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {history} (
                version text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        done = {row["version"] for row in await connection.fetch(f"SELECT version FROM {history}")}
        for migration in pending:
            if migration.version in done:
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    f"INSERT INTO {history} (version) VALUES ($1)", migration.version
                )
            applied_now.append(migration.version)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_KEY)
    return applied_now
