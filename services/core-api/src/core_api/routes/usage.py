"""The usage counters (``core.usage_counters``, read through the declared grant).
The usage summary, the calls and reprice are usage-ingestor's routes."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from core_api.routes.deps import DbPool
from core_api.schemas import UsageCounterOut
from core_api.services import usage
from sendfx_shared.auth import CurrentAdmin, CurrentPrincipal
from sendfx_shared.pagination import Page, Paging

router = APIRouter(tags=["usage"])

Period = Annotated[str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


@router.get("/api/workspaces/{workspace_id}/usage-counters")
async def usage_counters(
    workspace_id: uuid.UUID,
    principal: CurrentPrincipal,
    pool: DbPool,
    page: Paging,
    period: Period = None,
) -> Page[UsageCounterOut]:
    return await usage.usage_counters(pool, principal, workspace_id, period, page)


@router.get("/api/admin/workspaces/{workspace_id}/usage-counters", tags=["admin: workspaces"])
async def admin_usage_counters(
    workspace_id: uuid.UUID,
    admin: CurrentAdmin,
    pool: DbPool,
    page: Paging,
    period: Period = None,
) -> Page[UsageCounterOut]:
    return await usage.usage_counters(pool, admin, workspace_id, period, page)
