"""Each workspace's tier and monthly AI token limit, as ``core.events`` says.

usage-ingestor may read none of core-api's tables but the prices, so it keeps
its own copy of what the thresholds are computed against
(``core.usage_workspace_quotas``), learnt from ``workspace.created`` /
``.updated`` / ``.deleted``, which carry the tier and its limits. A write
names the ordering key it must beat (the workspace's ``version``, then the
event time), so replays and out-of-order deliveries never move it back.
"""

from typing import Any, Final

from sendfx_shared.events.core import (
    WORKSPACE_CREATED,
    WORKSPACE_DELETED,
    WORKSPACE_UPDATED,
    WorkspaceChanged,
)
from sendfx_shared.events.envelope import CloudEvent
from usage_ingestor.db import Connection

QUOTA_EVENT_TYPES: Final = frozenset({WORKSPACE_CREATED, WORKSPACE_UPDATED, WORKSPACE_DELETED})

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


async def apply_workspace_event(conn: Connection, event: CloudEvent[dict[str, Any]]) -> bool:
    """True when the event changed what is known (False: not a workspace event,
    or older than what is stored). Raises pydantic's ValidationError on bad data."""
    if event.type not in QUOTA_EVENT_TYPES:
        return False
    workspace = WorkspaceChanged.model_validate(event.data)
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
