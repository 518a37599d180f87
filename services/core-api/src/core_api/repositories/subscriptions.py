import uuid
from datetime import datetime

import asyncpg

from core_api.db import Db
from core_api.repositories.paging import After, after_args, keyset

_SELECT = """
SELECT s.id, s.workspace_id, s.tier_id, s.status, s.current_period_start, s.current_period_end,
       s.cancel_at_period_end, s.stripe_subscription_id, s.version, s.created_at, s.updated_at,
       t.code AS tier_code, t.ai_tokens_monthly, t.flows, t.members, t.models,
       s.pending_tier_id, p.code AS pending_tier_code
FROM core.subscriptions s JOIN core.tiers t ON t.id = s.tier_id
LEFT JOIN core.tiers p ON p.id = s.pending_tier_id
"""


async def get_live(db: Db, workspace_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        f"{_SELECT} WHERE s.workspace_id = $1 AND s.status <> 'canceled'", workspace_id
    )


async def get_subscription(db: Db, subscription_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(f"{_SELECT} WHERE s.id = $1", subscription_id)


async def insert_subscription(
    db: Db,
    workspace_id: uuid.UUID,
    tier_id: uuid.UUID,
    *,
    status: str,
    period_start: datetime,
    period_end: datetime,
) -> uuid.UUID:
    subscription_id: uuid.UUID = await db.fetchval(
        """INSERT INTO core.subscriptions
             (workspace_id, tier_id, status, current_period_start, current_period_end)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        workspace_id,
        tier_id,
        status,
        period_start,
        period_end,
    )
    return subscription_id


async def change_tier(db: Db, subscription_id: uuid.UUID, tier_id: uuid.UUID) -> None:
    """Moves the subscription to ``tier_id``; a pending move is settled by it."""
    await db.execute(
        """UPDATE core.subscriptions SET tier_id = $2, pending_tier_id = NULL,
                  version = version + 1
           WHERE id = $1""",
        subscription_id,
        tier_id,
    )


async def set_pending_tier(db: Db, subscription_id: uuid.UUID, tier_id: uuid.UUID | None) -> None:
    await db.execute(
        """UPDATE core.subscriptions SET pending_tier_id = $2, version = version + 1
           WHERE id = $1""",
        subscription_id,
        tier_id,
    )


async def set_cancel_at_period_end(db: Db, subscription_id: uuid.UUID, cancel: bool) -> None:
    await db.execute(
        """UPDATE core.subscriptions SET cancel_at_period_end = $2, version = version + 1
           WHERE id = $1""",
        subscription_id,
        cancel,
    )


async def set_status(db: Db, subscription_id: uuid.UUID, status: str) -> None:
    await db.execute(
        "UPDATE core.subscriptions SET status = $2, version = version + 1 WHERE id = $1",
        subscription_id,
        status,
    )


async def list_subscriptions(
    db: Db, workspace_id: uuid.UUID | None, after: After | None, limit: int
) -> list[asyncpg.Record]:
    return await db.fetch(
        f"""{_SELECT} WHERE ($4::uuid IS NULL OR s.workspace_id = $4) AND {keyset("s", 1)}
            ORDER BY s.created_at, s.id LIMIT $3""",
        *after_args(after),
        limit + 1,
        workspace_id,
    )
