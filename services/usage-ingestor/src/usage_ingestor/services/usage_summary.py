"""The AI usage summary of a workspace, for the local days of a time zone."""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

import asyncpg

from usage_ingestor.repositories.usage_summary import NUMBERS, summary_rows
from usage_ingestor.schemas import (
    UsageByDay,
    UsageByModel,
    UsageByService,
    UsageByServiceTier,
    UsageNumbers,
    UsageSummary,
)
from usage_ingestor.services.workspaces import CatchUp, UsageRange, resolve_range


def _summed(rows: Iterable[asyncpg.Record]) -> dict[str, Any]:
    totals: dict[str, Any] = dict.fromkeys(NUMBERS, 0)
    for row in rows:
        for name in NUMBERS:
            totals[name] += row[name]
    return totals


def summary_of(
    rows: list[asyncpg.Record], workspace_id: uuid.UUID, first: date, last: date, tz: str
) -> UsageSummary:
    """Totals and breakdowns from ``summary_rows``' two groupings."""
    by_day = [UsageByDay.model_validate(dict(r)) for r in rows if r["by_day"]]
    pairs = [r for r in rows if not r["by_day"]]

    def breakdown(key: str) -> list[dict[str, Any]]:
        return [
            {key: value, **_summed(r for r in pairs if r[key] == value)}
            for value in sorted({r[key] for r in pairs})
        ]

    return UsageSummary(
        workspace_id=workspace_id,
        from_=first,
        to=last,
        tz=tz,
        totals=UsageNumbers(**_summed(pairs)),
        by_model=[UsageByModel(**item) for item in breakdown("model")],
        by_service=[UsageByService(**item) for item in breakdown("service")],
        by_service_tier=[UsageByServiceTier(**item) for item in breakdown("service_tier")],
        by_day=by_day,
    )


async def usage_summary(pool: asyncpg.Pool, asked: UsageRange, catch_up: CatchUp) -> UsageSummary:
    """``from``/``to`` are inclusive days of ``tz``; by default its current month."""
    q = await resolve_range(pool, asked, catch_up)
    async with pool.acquire() as conn:
        rows = await summary_rows(conn, q.workspace_id, *q.days, q.tz, q.span)
    return summary_of(rows, q.workspace_id, *q.days, q.tz)
