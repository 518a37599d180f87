"""SQL of a reprice: the workspaces with calls in a range, one chunk of calls
locked for update, their new costs, and the hourly buckets' matching deltas."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

import asyncpg

from usage_ingestor.db import Connection
from usage_ingestor.repositories.usage_calls import CALL_COLUMNS

_WORKSPACES: Final = """
SELECT DISTINCT workspace_id FROM core.usage_hourly
WHERE hour >= date_trunc('hour', $1::timestamptz, 'UTC') AND hour < $2
  AND ($3::text IS NULL OR model = $3)
ORDER BY workspace_id
"""
# FOR UPDATE: a concurrent reprice of the same calls waits, then sees this
# one's costs; the ingestor never updates a stored call, so it never waits.
_CHUNK: Final = f"""
SELECT {", ".join(CALL_COLUMNS)}, price_id
FROM core.openai_usage
WHERE workspace_id = $1 AND occurred_at >= $2 AND occurred_at < $3
  AND ($4::text IS NULL OR model = $4)
  AND ($5::timestamptz IS NULL OR (occurred_at >= $5 AND (occurred_at, id) > ($5, $6::uuid)))
ORDER BY occurred_at, id
LIMIT $7
FOR UPDATE
"""
_SET_COSTS: Final = """
UPDATE core.openai_usage u
SET cost_usd = v.cost_usd, price_id = v.price_id, unpriced = v.unpriced
FROM unnest($1::uuid[], $2::timestamptz[], $3::numeric[], $4::uuid[], $5::bool[])
    AS v(id, occurred_at, cost_usd, price_id, unpriced)
-- The whole key (id, occurred_at): one index probe in the call's partition.
WHERE u.id = v.id AND u.occurred_at = v.occurred_at
"""
# The buckets' deltas, summed per bucket. The buckets are first locked in
# the key order the ingestor's upsert locks them in (store.py), so that the
# two never deadlock; then updated. A delta commutes with the ingestor's
# increments: a call stored meanwhile is counted once, by the ingestor.
_DELTAS: Final = """
SELECT $1::uuid AS workspace_id, date_trunc('hour', v.occurred_at, 'UTC') AS hour, v.model,
    v.service, v.service_tier, sum(v.cost_delta) AS cost_delta,
    sum(v.unpriced_delta) AS unpriced_delta
FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::numeric[],
            $7::int8[]) AS v(occurred_at, model, service, service_tier, cost_delta, unpriced_delta)
GROUP BY 1, 2, 3, 4, 5
"""
_LOCK_BUCKETS: Final = f"""
SELECT 1 FROM core.usage_hourly h
JOIN ({_DELTAS}) d USING (workspace_id, hour, model, service, service_tier)
ORDER BY h.workspace_id, h.hour, h.model, h.service, h.service_tier
FOR UPDATE OF h
"""
_ADD_DELTAS: Final = f"""
UPDATE core.usage_hourly h
SET cost_usd = h.cost_usd + d.cost_delta, unpriced_calls = h.unpriced_calls + d.unpriced_delta,
    updated_at = now()
FROM ({_DELTAS}) d
WHERE (h.workspace_id, h.hour, h.model, h.service, h.service_tier)
    = (d.workspace_id, d.hour, d.model, d.service, d.service_tier)
"""


@dataclass(frozen=True, slots=True)
class Repriced:
    """One call's new price, and what its bucket must change by."""

    id: uuid.UUID
    occurred_at: datetime
    model: str
    service: str
    tier: str  # the bucket's: the tier the call was priced at
    cost_usd: Decimal | None
    price_id: uuid.UUID | None
    cost_delta: Decimal
    unpriced_delta: int


async def workspaces_in(
    conn: Connection, start: datetime, end: datetime, model: str | None
) -> list[uuid.UUID]:
    return [r["workspace_id"] for r in await conn.fetch(_WORKSPACES, start, end, model)]


async def lock_chunk(
    conn: Connection,
    workspace_id: uuid.UUID,
    span: tuple[datetime, datetime],
    model: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    at, last_id = after if after is not None else (None, None)
    return await conn.fetch(_CHUNK, workspace_id, *span, model, at, last_id, limit)


async def apply_prices(conn: Connection, workspace_id: uuid.UUID, changed: list[Repriced]) -> None:
    """The calls' new costs and their buckets' deltas, in the caller's transaction."""
    if not changed:
        return
    await conn.execute(
        _SET_COSTS,
        [c.id for c in changed],
        [c.occurred_at for c in changed],
        [c.cost_usd for c in changed],
        [c.price_id for c in changed],
        [c.cost_usd is None for c in changed],
    )
    deltas = (
        workspace_id,
        [c.occurred_at for c in changed],
        [c.model for c in changed],
        [c.service for c in changed],
        [c.tier for c in changed],
        [c.cost_delta for c in changed],
        [c.unpriced_delta for c in changed],
    )
    await conn.execute(_LOCK_BUCKETS, *deltas)
    await conn.execute(_ADD_DELTAS, *deltas)
