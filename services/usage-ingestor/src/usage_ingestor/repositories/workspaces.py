"""Which workspaces usage-ingestor knows: those core.events announced
(``core.usage_workspace_quotas``, quotas.py) and those with usage."""

import uuid

from usage_ingestor.db import Connection


async def workspace_known(conn: Connection, workspace_id: uuid.UUID) -> bool | None:
    """True: announced and not deleted, or it has usage; False: deleted; None:
    never heard of."""
    row = await conn.fetchrow(
        """SELECT (SELECT NOT deleted FROM core.usage_workspace_quotas
                   WHERE workspace_id = $1) AS live,
                  EXISTS (SELECT 1 FROM core.openai_usage WHERE workspace_id = $1) AS used""",
        workspace_id,
    )
    assert row is not None
    if row["live"] is None:
        return True if row["used"] else None
    return bool(row["live"])
