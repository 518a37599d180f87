"""What a load or replay reads back at its end for the summary: what still
waits, what was rejected, and the rows that are the platform's (kept, or
created there and merged into)."""

import asyncpg

from migrator.mapping import TABLES


async def waiting_counts(connection: asyncpg.Connection) -> dict[str, int]:
    rows = await connection.fetch(
        "SELECT collection, count(*) AS n FROM migrator.pending GROUP BY collection"
    )
    return {r["collection"]: r["n"] for r in rows}


async def rejects_report(connection: asyncpg.Connection) -> list[tuple[str, str, str]]:
    rows = await connection.fetch(
        "SELECT collection, legacy_id, reason FROM migrator.migration_rejects "
        "ORDER BY collection, legacy_id"
    )
    return [(r["collection"], r["legacy_id"], r["reason"]) for r in rows]


async def platform_rows(
    connection: asyncpg.Connection,
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """The rows that are the platform's, for the report: (collection, legacy
    id, what) of those it changed after they were migrated (kept), and of
    those it created that legacy records were merged into."""
    selects = [
        f"SELECT '{collection}' AS collection, t.legacy_id, m.updated_at IS NULL AS created, "
        f"t.updated_at FROM {spec.table} t JOIN migrator.row_marks m "
        f"ON m.collection = '{collection}' AND m.row_id = t.id "
        "WHERE t.legacy_id IS NOT NULL AND m.updated_at IS DISTINCT FROM t.updated_at"
        for collection, spec in TABLES.items()
    ]
    kept: list[tuple[str, str, str]] = []
    merged: list[tuple[str, str, str]] = []
    for r in await connection.fetch(" UNION ALL ".join(selects) + " ORDER BY 1, 2"):
        if r["created"]:
            merged.append((r["collection"], r["legacy_id"], "created in the platform"))
        else:
            kept.append(
                (r["collection"], r["legacy_id"], f"changed at {r['updated_at']:%Y-%m-%d %H:%M:%S}")
            )
    return kept, merged
