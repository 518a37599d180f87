import uuid
from datetime import date

import asyncpg

from core_api.db import Db
from core_api.repositories.paging import After, after_args, keyset

_SUMS = """
coalesce(sum(calls), 0)::bigint AS calls,
coalesce(sum(prompt_tokens), 0)::bigint AS prompt_tokens,
coalesce(sum(cached_tokens), 0)::bigint AS cached_tokens,
coalesce(sum(completion_tokens), 0)::bigint AS completion_tokens,
coalesce(sum(reasoning_tokens), 0)::bigint AS reasoning_tokens,
coalesce(sum(total_tokens), 0)::bigint AS total_tokens,
coalesce(sum(cost_usd), 0) AS cost_usd,
coalesce(sum(unpriced_calls), 0)::bigint AS unpriced_calls,
coalesce(sum(usage_missing_calls), 0)::bigint AS usage_missing_calls
"""


async def usage_summary_rows(
    db: Db, workspace_id: uuid.UUID, first_day: date, last_day: date
) -> list[asyncpg.Record]:
    """One pass over the daily rollup, grouped two ways: per (model, service)
    (``by_day`` false; at most models x services rows, from which totals and
    the model and service breakdowns follow) and per day (``by_day`` true)."""
    return await db.fetch(
        f"""SELECT GROUPING(day) = 0 AS by_day, model, service, day, {_SUMS}
            FROM core.usage_daily
            WHERE workspace_id = $1 AND day BETWEEN $2 AND $3
            GROUP BY GROUPING SETS ((model, service), (day))
            ORDER BY by_day, day, model, service""",
        workspace_id,
        first_day,
        last_day,
    )


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
