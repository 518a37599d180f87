"""The usage summary's one query, over the hourly rollup.

An hour that lies inside one local day of the zone (its local time advances
by exactly an hour, so no offset change inside, and its start and end share
a date) is taken from the rollup whole; the few that straddle a local day's
edge (a zone at +05:30, a daylight-saving change at midnight) are answered
from the calls of that hour, each on its own local day. Both parts come from
one snapshot, and the rollup is written in the same transaction as the
calls, so they always agree.
"""

import uuid
from datetime import date, datetime
from typing import Final

import asyncpg

from usage_ingestor.db import Connection

NUMBERS: Final = (
    "calls",
    "prompt_tokens",
    "cached_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "total_tokens",
    "cache_write_tokens",
    "audio_prompt_tokens",
    "audio_completion_tokens",
    "cost_usd",
    "unpriced_calls",
    "usage_missing_calls",
)
_SUMS: Final = ",\n".join(
    f"coalesce(sum({n}), 0){'' if n == 'cost_usd' else '::bigint'} AS {n}" for n in NUMBERS
)
_WORK_MEM: Final = "64MB"
# The tier a call was priced at, as the rollup keys it (store.py).
PRICED_TIER: Final = "CASE WHEN u.batch THEN 'batch' ELSE u.service_tier END"

_SUMMARY: Final = f"""
WITH hours AS MATERIALIZED (
    -- Every UTC hour of the span ($5 and $6 fall on UTC midnights): its local
    -- day, and whether it lies whole inside that day. Computed once per hour,
    -- not per bucket.
    SELECT g AS hour, (g AT TIME ZONE $4)::date AS day,
        (g AT TIME ZONE $4) + interval '1 hour' = ((g + interval '1 hour') AT TIME ZONE $4)
        AND (g AT TIME ZONE $4)::date
            = ((g + interval '1 hour' - interval '1 microsecond') AT TIME ZONE $4)::date
            AS whole
    FROM generate_series($5::timestamptz, $6::timestamptz - interval '1 hour',
                         interval '1 hour') AS g
), parts AS (
    SELECT hr.day, h.model, h.service, h.service_tier,
        {", ".join(f"h.{n}" for n in NUMBERS)}
    FROM core.usage_hourly h
    JOIN hours hr ON hr.hour = h.hour AND hr.whole AND hr.day BETWEEN $2 AND $3
    WHERE h.workspace_id = $1 AND h.hour >= $5 AND h.hour < $6
    UNION ALL
    SELECT (u.occurred_at AT TIME ZONE $4)::date, u.model, u.service, {PRICED_TIER}, 1,
        u.prompt_tokens, u.cached_tokens, u.completion_tokens, u.reasoning_tokens,
        u.total_tokens, u.cache_write_tokens, u.audio_prompt_tokens, u.audio_completion_tokens,
        coalesce(u.cost_usd, 0), u.unpriced::int, u.usage_missing::int
    FROM hours s
    -- One index range per straddling hour (OFFSET 0 keeps the planner from
    -- flattening it into a scan of the whole range).
    CROSS JOIN LATERAL (
        SELECT * FROM core.openai_usage x
        WHERE x.workspace_id = $1 AND x.occurred_at >= s.hour
          AND x.occurred_at < s.hour + interval '1 hour'
        OFFSET 0
    ) u
    WHERE NOT s.whole
), daily AS (
    SELECT day, model, service, service_tier, {_SUMS}
    FROM parts
    WHERE day BETWEEN $2 AND $3
    GROUP BY 1, 2, 3, 4
)
SELECT GROUPING(day) = 0 AS by_day, model, service, service_tier, day, {_SUMS}
FROM daily
GROUP BY GROUPING SETS ((model, service, service_tier), (day))
ORDER BY by_day, day, model, service, service_tier
"""


async def summary_rows(
    conn: Connection,
    workspace_id: uuid.UUID,
    first_day: date,
    last_day: date,
    tz: str,
    span: tuple[datetime, datetime],
) -> list[asyncpg.Record]:
    """Per (model, service, tier) (``by_day`` false: at most models x services x
    tiers rows, from which totals and breakdowns follow) and per local day
    (``by_day`` true), of the local days ``first_day``..``last_day`` in ``tz``;
    ``span`` is a UTC interval holding all of them."""
    async with conn.transaction(readonly=True):
        # A year of a busy workspace is ~10^5 buckets to group by day: in
        # memory, not in an external merge sort on disk.
        await conn.execute(f"SET LOCAL work_mem = '{_WORK_MEM}'")
        return await conn.fetch(_SUMMARY, workspace_id, first_day, last_day, tz, *span)
