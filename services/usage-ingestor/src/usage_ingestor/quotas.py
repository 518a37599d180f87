"""Each workspace's tier and monthly AI token limit, as ``core.events`` says.

usage-ingestor may read none of core-api's tables but the prices, so it keeps
its own copy of what the thresholds are computed against
(``core.usage_workspace_quotas``), learnt from ``workspace.created`` /
``.updated`` / ``.deleted``, which carry the tier and its limits. A write
names the ordering key it must beat (the workspace's ``version``, then the
event time), so replays and out-of-order deliveries never move it back.
"""

from typing import Final

import asyncpg

from sendfx_shared.consume import Handler, HandlerTable, RawEvent
from sendfx_shared.events.core import (
    WORKSPACE_CREATED,
    WORKSPACE_DELETED,
    WORKSPACE_UPDATED,
    WorkspaceChanged,
)
from usage_ingestor.db import Connection

_PUT_QUOTA: Final = """
INSERT INTO core.usage_workspace_quotas AS q
    (workspace_id, tier_code, ai_tokens_monthly, deleted, version, event_time)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (workspace_id) DO UPDATE SET
    tier_code = EXCLUDED.tier_code,
    ai_tokens_monthly = EXCLUDED.ai_tokens_monthly,
    deleted = EXCLUDED.deleted,
    version = EXCLUDED.version,
    event_time = EXCLUDED.event_time,
    updated_at = now()
WHERE (q.version, q.event_time) < (EXCLUDED.version, EXCLUDED.event_time)
"""


async def put_workspace_quota(
    conn: Connection, workspace: WorkspaceChanged, event: RawEvent
) -> bool:
    """True when the event changed what is known (False: older than what is stored)."""
    status = await conn.execute(
        _PUT_QUOTA,
        workspace.workspace_id,
        workspace.tier_code,
        workspace.limits.ai_tokens_monthly,
        event.type == WORKSPACE_DELETED,
        workspace.version,
        event.time,
    )
    return bool(status.endswith(" 1"))


def quota_handlers(pool: asyncpg.Pool) -> HandlerTable:
    """What usage-ingestor does with ``core.events``: every other type is skipped."""

    async def on_workspace(workspace: WorkspaceChanged, event: RawEvent) -> bool:
        async with pool.acquire() as conn:
            return await put_workspace_quota(conn, workspace, event)

    keep = Handler(WorkspaceChanged, on_workspace)
    return {WORKSPACE_CREATED: keep, WORKSPACE_UPDATED: keep, WORKSPACE_DELETED: keep}
