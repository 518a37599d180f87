"""The stored calls of a workspace over local days of a time zone, in
(``occurred_at``, ``id``) order: one page at a time, or all of them through a
server-side cursor (rows come as PostgreSQL sends them, never all at once)."""

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Final

import asyncpg

from usage_ingestor.db import Connection

CALL_COLUMNS: Final = (
    "id",
    "occurred_at",
    "model",
    "service",
    "service_tier",
    "batch",
    "prompt_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "audio_prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "audio_completion_tokens",
    "total_tokens",
    "cost_usd",
    "unpriced",
    "usage_missing",
    "request_id",
    "user_id",
)
# $1 workspace, $2..$3 local days, $4 zone, $5..$6 a UTC span holding them
# (the index range; the local-date test is the exact one, as in the summary).
_IN_RANGE: Final = """
workspace_id = $1 AND occurred_at >= $5 AND occurred_at < $6
AND (occurred_at AT TIME ZONE $4)::date BETWEEN $2 AND $3
"""
_PAGE: Final = f"""
SELECT {", ".join(CALL_COLUMNS)} FROM core.openai_usage
WHERE {_IN_RANGE}
  AND ($7::timestamptz IS NULL OR (occurred_at >= $7 AND (occurred_at, id) > ($7, $8::uuid)))
ORDER BY occurred_at, id
LIMIT $9
"""
_ALL: Final = f"""
SELECT {", ".join(CALL_COLUMNS)} FROM core.openai_usage
WHERE {_IN_RANGE}
ORDER BY occurred_at, id
"""

After = tuple[datetime, uuid.UUID]


async def calls_page(
    conn: Connection,
    workspace_id: uuid.UUID,
    days: tuple[date, date],
    tz: str,
    span: tuple[datetime, datetime],
    after: After | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Up to ``limit + 1`` calls after ``after`` (so the caller sees whether more follow)."""
    at, last_id = after if after is not None else (None, None)
    return await conn.fetch(_PAGE, workspace_id, *days, tz, *span, at, last_id, limit + 1)


async def all_calls(
    conn: Connection,
    workspace_id: uuid.UUID,
    days: tuple[date, date],
    tz: str,
    span: tuple[datetime, datetime],
    prefetch: int,
) -> AsyncIterator[asyncpg.Record]:
    """Every call of the range, ``prefetch`` rows per round trip; ``conn`` must be
    in a transaction (a server-side cursor lives in one)."""
    async for record in conn.cursor(_ALL, workspace_id, *days, tz, *span, prefetch=prefetch):
        yield record
