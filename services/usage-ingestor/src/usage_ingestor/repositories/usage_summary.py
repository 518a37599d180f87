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
# The tier a call was priced at, as the rollup keys it (store.py).
PRICED_TIER: Final = "CASE WHEN u.batch THEN 'batch' ELSE u.service_tier END"

_SUMMARY: Final = f"""
WITH hours AS (
    SELECT h.*, (h.hour AT TIME ZONE $4)::date AS day,
        (h.hour AT TIME ZONE $4) + interval '1 hour'
            = ((h.hour + interval '1 hour') AT TIME ZONE $4)
        AND (h.hour AT TIME ZONE $4)::date
            = ((h.hour + interval '1 hour' - interval '1 microsecond') AT TIME ZONE $4)::date
            AS whole
    FROM core.usage_hourly h
    WHERE h.workspace_id = $1 AND h.hour >= $5 AND h.hour < $6
), parts AS (
    SELECT day, model, service, service_tier, {", ".join(NUMBERS)}
    FROM hours WHERE whole
    UNION ALL
    SELECT (u.occurred_at AT TIME ZONE $4)::date, u.model, u.service, {PRICED_TIER}, 1,
        u.prompt_tokens, u.cached_tokens, u.completion_tokens, u.reasoning_tokens,
        u.total_tokens, u.cache_write_tokens, u.audio_prompt_tokens, u.audio_completion_tokens,
        coalesce(u.cost_usd, 0), u.unpriced::int, u.usage_missing::int
    FROM (SELECT DISTINCT hour FROM hours WHERE NOT whole) s
    -- LATERAL: one index range per straddling hour, never a scan of the range.
    CROSS JOIN LATERAL (
        SELECT * FROM core.openai_usage x
        WHERE x.workspace_id = $1 AND x.occurred_at >= s.hour
          AND x.occurred_at < s.hour + interval '1 hour'
    ) u
)
SELECT GROUPING(day) = 0 AS by_day, model, service, service_tier, day, {_SUMS}
FROM parts
WHERE day BETWEEN $2 AND $3
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
    return await conn.fetch(_SUMMARY, workspace_id, first_day, last_day, tz, *span)
