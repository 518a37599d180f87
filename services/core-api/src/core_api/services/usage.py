"""Usage read models: the AI usage summary (from the daily rollup the
usage-ingestor maintains, never a scan of ``openai_usage``) and the counters."""

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg

from core_api.db import reading
from core_api.repositories import usage as usage_repo
from core_api.repositories import workspaces as workspaces_repo
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

_TOTALS, _BY_MODEL, _BY_SERVICE, _BY_DAY = 7, 3, 5, 6


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
    totals = UsageNumbers()
    by_model: list[UsageByModel] = []
    by_service: list[UsageByService] = []
    by_day: list[UsageByDay] = []
    for row in rows:
        data = dict(row)
        grouping = data.pop("grouping")
        if grouping == _TOTALS:
            totals = UsageNumbers.model_validate(data)
        elif grouping == _BY_MODEL:
            by_model.append(UsageByModel.model_validate(data))
        elif grouping == _BY_SERVICE:
            by_service.append(UsageByService.model_validate(data))
        elif grouping == _BY_DAY:
            by_day.append(UsageByDay.model_validate(data))
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
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID, period: str | None
) -> Page[UsageCounterOut]:
    async with reading(pool) as db:
        await workspace_access(db, principal, workspace_id)
        rows = await usage_repo.list_counters(db, workspace_id, period)
    return Page[UsageCounterOut](items=[UsageCounterOut.model_validate(dict(r)) for r in rows])
