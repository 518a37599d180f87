"""``migrator.row_marks``: what the migrator last wrote into each core row.

The loader writes ``updated_at`` from the legacy document; every platform
``UPDATE`` stamps ``now()`` (core-api's touch trigger). So a row whose
``updated_at`` is no longer its mark was changed by the platform after it was
migrated, and a NULL mark is a row created in the platform that a legacy
record was merged into: load and replay write neither (see migration 0006).
"""

from collections.abc import Sequence
from typing import Any

import asyncpg

from migrator.mapping import TableSpec


def changed_by_platform(alias: str, collection: str) -> str:
    """SQL: the row ``alias`` is the platform's now: changed after the migrator
    wrote it, or created in the platform and merged into (a NULL mark)."""
    return (
        f"EXISTS (SELECT 1 FROM migrator.row_marks m WHERE m.collection = '{collection}' "
        f"AND m.row_id = {alias}.id AND m.updated_at IS DISTINCT FROM {alias}.updated_at)"
    )


async def kept(
    connection: asyncpg.Connection, spec: TableSpec, rows: Sequence[Sequence[Any]]
) -> list[str]:
    """Of ``rows`` ((row id, legacy id) of records whose upsert wrote nothing),
    the legacy ids whose row the platform changed after it was migrated."""
    if not rows:
        return []
    found = await connection.fetch(
        f"SELECT s.legacy_id FROM unnest($1::uuid[], $2::text[]) AS s(id, legacy_id) "
        f"JOIN {spec.table} t ON t.id = s.id JOIN migrator.row_marks m "
        "ON m.collection = $3 AND m.row_id = t.id WHERE m.updated_at <> t.updated_at",
        [row[0] for row in rows],
        [row[1] for row in rows],
        spec.collection,
    )
    return [r["legacy_id"] for r in found]
