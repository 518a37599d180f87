"""The calls behind the summary: cursor pages, or the whole range as CSV
written as it is read (constant memory whatever the range)."""

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import asyncpg

from sendfx_shared.events.envelope import rfc3339
from sendfx_shared.pagination import Page, decode_cursor, invalid_cursor, trim_page
from usage_ingestor.repositories import usage_calls as calls_repo
from usage_ingestor.repositories.usage_calls import CALL_COLUMNS, After
from usage_ingestor.schemas import UsageCall
from usage_ingestor.services.workspaces import CatchUp, ResolvedRange, UsageRange, resolve_range

# Rows fetched per round trip, and written per chunk of the response.
EXPORT_PREFETCH: Final = 2_000


def _after(cursor: str | None) -> After | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return datetime.fromisoformat(str(position["t"])), uuid.UUID(str(position["i"]))
    except (KeyError, ValueError) as exc:
        raise invalid_cursor() from exc


async def calls_page(
    pool: asyncpg.Pool, asked: UsageRange, cursor: str | None, limit: int, catch_up: CatchUp
) -> Page[UsageCall]:
    after = _after(cursor)
    q = await resolve_range(pool, asked, catch_up)
    async with pool.acquire() as conn:
        found = await calls_repo.calls_page(
            conn, q.workspace_id, q.days, q.tz, q.span, after, limit
        )
    rows, next_cursor = trim_page(
        found, limit, lambda r: {"t": r["occurred_at"].isoformat(), "i": str(r["id"])}
    )
    return Page[UsageCall](
        items=[UsageCall.model_validate(dict(r)) for r in rows], next_cursor=next_cursor
    )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")  # exact, never a float
    return value


async def export_calls(
    pool: asyncpg.Pool, asked: UsageRange, catch_up: CatchUp
) -> AsyncIterator[bytes]:
    """The range's calls as CSV (a header row, then one row per call). Checks the
    request at once (a 404 or 422 is raised here, before any byte is sent);
    the rows then stream from a server-side cursor in one read-only snapshot,
    each chunk written as soon as it is read."""
    return _csv_rows(pool, await resolve_range(pool, asked, catch_up))


async def _csv_rows(pool: asyncpg.Pool, q: ResolvedRange) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CALL_COLUMNS)
    async with pool.acquire() as conn, conn.transaction(readonly=True, isolation="repeatable_read"):
        written = 0
        rows = calls_repo.all_calls(conn, q.workspace_id, q.days, q.tz, q.span, EXPORT_PREFETCH)
        async for record in rows:
            writer.writerow([_cell(record[name]) for name in CALL_COLUMNS])
            written += 1
            if written % EXPORT_PREFETCH == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()
