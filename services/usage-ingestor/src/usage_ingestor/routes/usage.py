"""``/api/admin/workspaces/{id}/usage`` (CONTRACT.md): the usage summary."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from sendfx_shared.auth import CurrentAdmin
from usage_ingestor.routes.deps import Ingestor
from usage_ingestor.schemas import UsageSummary
from usage_ingestor.services import usage_summary

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
    return await usage_summary.usage_summary(
        ingestor.pool, workspace_id, from_, to, tz, ingestor.workspaces_current
    )
