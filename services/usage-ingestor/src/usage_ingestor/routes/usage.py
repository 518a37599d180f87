"""``/api/admin/workspaces/{id}/usage`` and ``…/usage/calls`` (CONTRACT.md): the
usage summary and the calls behind it (JSON pages, or CSV)."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from sendfx_shared.auth import CurrentAdmin
from sendfx_shared.pagination import DEFAULT_PAGE, Cursor, Limit, Page
from usage_ingestor.routes.deps import Ingestor
from usage_ingestor.schemas import UsageCall, UsageSummary
from usage_ingestor.services import usage_calls, usage_summary
from usage_ingestor.services.workspaces import UsageRange

CSV = "text/csv"

router = APIRouter(tags=["admin: usage"])

From = Annotated[date | None, Query(alias="from", description="first day, inclusive")]
To = Annotated[date | None, Query(alias="to", description="last day, inclusive")]
Tz = Annotated[
    str,
    Query(
        max_length=64,
        pattern=r"^[A-Za-z0-9_+\-/]+$",
        description="IANA time zone whose calendar days `from`, `to` and the days are",
    ),
]


@router.get("/api/admin/workspaces/{workspace_id}/usage")
async def admin_usage_summary(
    workspace_id: uuid.UUID,
    _: CurrentAdmin,
    ingestor: Ingestor,
    from_: From = None,
    to: To = None,
    tz: Tz = "UTC",
) -> UsageSummary:
    """AI usage of a workspace: totals, by model, by service, by service tier and
    by day of ``tz`` (default: this month)."""
    asked = UsageRange(workspace_id, from_, to, tz)
    return await usage_summary.usage_summary(ingestor.pool, asked, ingestor.workspaces_current)


@router.get(
    "/api/admin/workspaces/{workspace_id}/usage/calls",
    responses={200: {"content": {CSV: {"schema": {"type": "string"}}}}},
    response_model=Page[UsageCall],
)
async def admin_usage_calls(
    workspace_id: uuid.UUID,
    request: Request,
    _: CurrentAdmin,
    ingestor: Ingestor,
    from_: From = None,
    to: To = None,
    tz: Tz = "UTC",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> Page[UsageCall] | StreamingResponse:
    """The calls of the days ``from``..``to`` of ``tz``, oldest first, in cursor
    pages; with ``Accept: text/csv`` the whole range as CSV (header row first),
    streamed as it is read."""
    asked = UsageRange(workspace_id, from_, to, tz)
    if CSV in request.headers.get("accept", ""):
        rows = await usage_calls.export_calls(ingestor.pool, asked, ingestor.workspaces_current)
        name = f"usage-{workspace_id}.csv"
        return StreamingResponse(
            rows,
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return await usage_calls.calls_page(
        ingestor.pool, asked, cursor, limit, ingestor.workspaces_current
    )
