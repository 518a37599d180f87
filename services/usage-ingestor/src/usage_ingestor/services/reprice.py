"""Reprice: recompute the stored calls' costs of a range with the prices now
in force for their ``occurred_at``, and the hourly rollup with them.

Bounded chunks, one transaction each (a workspace's calls in (occurred_at,
id) order, ``reprice_chunk`` at a time): a chunk locks its calls, prices them
with the current book, writes the costs that changed and adds the difference
to their buckets. Safe while the ingestor writes: it never updates a stored
call, and a call it stores meanwhile is counted in the rollup by its own
increment only, since a reprice changes buckets by deltas of the calls it
locked, never by recounting them. Idempotent: a second run finds every cost
already at its price, and changes nothing.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from sendfx_shared.problems import ProblemError
from usage_ingestor.price_book import PriceBook
from usage_ingestor.price_table import load_price_book
from usage_ingestor.repositories import reprice as reprice_repo
from usage_ingestor.repositories.reprice import Repriced
from usage_ingestor.schemas import RepriceIn, RepriceOut, UsageCall

log = logging.getLogger("usage_ingestor")
_DEADLOCK_RETRIES = 5
_ZERO = Decimal(0)


@dataclass
class Tally:
    calls: int = 0
    changed: int = 0
    cost_before: Decimal = Decimal(0)
    cost_after: Decimal = Decimal(0)


def reprice_row(row: asyncpg.Record, book: PriceBook) -> Repriced | None:
    """The call's new price, or None when it already has it."""
    call = UsageCall.model_validate(dict(row))
    priced = book.price_call(call)
    if (priced.cost_usd, priced.price_id) == (row["cost_usd"], row["price_id"]):
        return None
    return Repriced(
        id=row["id"],
        occurred_at=row["occurred_at"],
        model=row["model"],
        service=row["service"],
        tier=call.priced_tier,
        cost_usd=priced.cost_usd,
        price_id=priced.price_id,
        cost_delta=(priced.cost_usd or _ZERO) - (row["cost_usd"] or _ZERO),
        unpriced_delta=int(priced.unpriced) - int(row["unpriced"]),
    )


async def _chunk(
    pool: asyncpg.Pool,
    workspace_id: uuid.UUID,
    span: tuple[datetime, datetime],
    model: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    book: PriceBook,
    tally: Tally,
) -> tuple[datetime, uuid.UUID] | None:
    """One chunk in one transaction; the position after it (None: the workspace is done)."""
    for attempt in range(_DEADLOCK_RETRIES):
        try:
            async with pool.acquire() as conn, conn.transaction():
                rows = await reprice_repo.lock_chunk(conn, workspace_id, span, model, after, limit)
                repriced = [reprice_row(row, book) for row in rows]
                changed = [r for r in repriced if r is not None]
                await reprice_repo.apply_prices(conn, workspace_id, changed)
            break
        except asyncpg.DeadlockDetectedError:
            # Rolled back whole: the chunk is simply done again.
            log.warning("reprice: deadlock (attempt %d); retrying the chunk", attempt + 1)
    else:
        raise ProblemError(503, "the reprice kept conflicting with other writes; run it again")
    tally.calls += len(rows)
    tally.changed += len(changed)
    for row, new in zip(rows, repriced, strict=True):
        tally.cost_before += row["cost_usd"] or 0
        tally.cost_after += (row["cost_usd"] if new is None else new.cost_usd) or 0
    if len(rows) < limit:
        return None
    return rows[-1]["occurred_at"], rows[-1]["id"]


async def reprice(pool: asyncpg.Pool, body: RepriceIn, chunk: int) -> RepriceOut:
    """``from``/``to``: inclusive UTC days of ``occurred_at``."""
    if body.from_ > body.to:
        raise ProblemError(422, "'from' must not be after 'to'", kind="validation-error")
    span = (_midnight(body.from_), _midnight(body.to + timedelta(days=1)))
    async with pool.acquire() as conn:
        book = await load_price_book(conn)
        workspaces = await reprice_repo.workspaces_in(conn, *span, body.model)
    tally = Tally()
    for workspace_id in workspaces:
        after: Any = None
        while True:
            after = await _chunk(pool, workspace_id, span, body.model, after, chunk, book, tally)
            if after is None:
                break
    log.info(
        "reprice %s..%s%s: %d calls, %d changed",
        body.from_,
        body.to,
        f" ({body.model})" if body.model else "",
        tally.calls,
        tally.changed,
    )
    return RepriceOut(
        calls=tally.calls,
        changed=tally.changed,
        cost_before=tally.cost_before,
        cost_after=tally.cost_after,
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)
