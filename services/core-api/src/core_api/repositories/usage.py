import uuid
from datetime import date

import asyncpg

from core_api.db import Db

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
    db: Db, workspace_id: uuid.UUID, period: str | None
) -> list[asyncpg.Record]:
    return await db.fetch(
        """SELECT workspace_id, metric, period, count, updated_at FROM core.usage_counters
           WHERE workspace_id = $1 AND ($2::text IS NULL OR period = $2)
           ORDER BY period DESC, metric LIMIT 1000""",
        workspace_id,
        period,
    )
