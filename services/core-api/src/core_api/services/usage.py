"""The usage counters usage-ingestor keeps (core-api reads them through the
declared grant); the usage summary is usage-ingestor's own route."""

import uuid

import asyncpg

from core_api.db import reading
from core_api.repositories import usage as usage_repo
from core_api.repositories.paging import page_of, parse_cursor
from core_api.schemas import (
    UsageCounterOut,
)
from core_api.services.access import workspace_access
from sendfx_shared.auth import Principal
from sendfx_shared.pagination import Page, PageRequest


async def usage_counters(
    pool: asyncpg.Pool,
    principal: Principal,
    workspace_id: uuid.UUID,
    period: str | None,
    page: PageRequest,
) -> Page[UsageCounterOut]:
    async with reading(pool) as db:
        await workspace_access(db, principal, workspace_id)
        records = await usage_repo.list_counters(
            db, workspace_id, period, parse_cursor(page.cursor), page.limit
        )
    rows, next_cursor = page_of(records, page.limit)
    return Page[UsageCounterOut](
        items=[UsageCounterOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )
