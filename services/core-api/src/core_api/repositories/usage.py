"""``core.usage_counters`` (usage-ingestor's table, read-only here)."""

import uuid

import asyncpg

from core_api.db import Db
from core_api.repositories.paging import After, after_args, keyset


async def list_counters(
    db: Db, workspace_id: uuid.UUID, period: str | None, after: After | None, limit: int
) -> list[asyncpg.Record]:
    return await db.fetch(
        f"""SELECT id, workspace_id, metric, period, count, created_at, updated_at
            FROM core.usage_counters c
            WHERE workspace_id = $1 AND ($2::text IS NULL OR period = $2) AND {keyset("c", 3)}
            ORDER BY c.created_at, c.id LIMIT $5""",
        workspace_id,
        period,
        *after_args(after),
        limit + 1,
    )
