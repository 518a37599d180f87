"""Usage read models: the AI usage summary (from the daily rollup the
usage-ingestor maintains, never a scan of ``openai_usage``) and the counters."""

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from core_api.db import reading
from core_api.repositories import usage as usage_repo
from core_api.repositories import workspaces as workspaces_repo
from core_api.repositories.paging import page_of, parse_cursor
from core_api.schemas import (
    UsageByDay,
    UsageByModel,
    UsageByService,
    UsageCounterOut,
    UsageNumbers,
    UsageSummary,
)
from core_api.services.access import workspace_access
from sendfx_shared.auth import Principal
from sendfx_shared.pagination import Page
from sendfx_shared.problems import NotFound, ProblemError

_NUMBERS = tuple(UsageNumbers.model_fields)


def _summed(rows: Iterable[asyncpg.Record]) -> dict[str, Any]:
    totals: dict[str, Any] = dict.fromkeys(_NUMBERS, 0)
    for row in rows:
        for name in _NUMBERS:
            totals[name] += row[name]
    return totals


def current_month(today: date | None = None) -> tuple[date, date]:
    today = today or datetime.now(UTC).date()
    first = today.replace(day=1)
    next_first = (first + timedelta(days=32)).replace(day=1)
    return first, next_first - timedelta(days=1)


async def usage_summary(
    pool: asyncpg.Pool,
    principal: Principal,
    workspace_id: uuid.UUID,
    first_day: date | None,
    last_day: date | None,
) -> UsageSummary:
    """``from``/``to`` are inclusive days (UTC); by default the current month."""
    default_first, default_last = current_month()
    first_day = first_day or (default_first if last_day is None else last_day.replace(day=1))
    last_day = last_day or max(default_last, first_day)
    if first_day > last_day:
        raise ProblemError(422, "'from' must not be after 'to'", kind="validation-error")
    async with reading(pool) as db:
        if principal.is_admin:
            if await workspaces_repo.get_workspace(db, workspace_id) is None:
                raise NotFound("workspace")
        else:
            await workspace_access(db, principal, workspace_id)
        rows = await usage_repo.usage_summary_rows(db, workspace_id, first_day, last_day)
    by_day = [UsageByDay.model_validate(dict(r)) for r in rows if r["by_day"]]
    pairs = [r for r in rows if not r["by_day"]]
    by_model = [
        UsageByModel(model=model, **_summed(r for r in pairs if r["model"] == model))
        for model in sorted({r["model"] for r in pairs})
    ]
    by_service = [
        UsageByService(service=service, **_summed(r for r in pairs if r["service"] == service))
        for service in sorted({r["service"] for r in pairs})
    ]
    totals = UsageNumbers(**_summed(pairs))
    return UsageSummary(
        workspace_id=workspace_id,
        from_=first_day,
        to=last_day,
        totals=totals,
        by_model=by_model,
        by_service=by_service,
        by_day=by_day,
    )


async def usage_counters(
    pool: asyncpg.Pool,
    principal: Principal,
    workspace_id: uuid.UUID,
    period: str | None,
    cursor: str | None,
    limit: int,
) -> Page[UsageCounterOut]:
    async with reading(pool) as db:
        await workspace_access(db, principal, workspace_id)
        records = await usage_repo.list_counters(
            db, workspace_id, period, parse_cursor(cursor), limit
        )
    rows, next_cursor = page_of(records, limit)
    return Page[UsageCounterOut](
        items=[UsageCounterOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )
