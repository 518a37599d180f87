"""Workspaces as the ingestor knows them, seeded straight into its table."""

import uuid

import asyncpg


async def create_workspace(pool: asyncpg.Pool, ai_tokens_monthly: int | None = None) -> uuid.UUID:
    """A workspace on a tier of its own with the given monthly token limit, as
    the ingestor knows it once core.events announced it (quotas.py)."""
    workspace_id = uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO core.usage_workspace_quotas"
            " (workspace_id, tier_code, ai_tokens_monthly, version, event_time)"
            " VALUES ($1, $2, $3, 1, now())",
            workspace_id,
            f"t-{uuid.uuid4().hex[:12]}",
            ai_tokens_monthly,
        )
    return workspace_id
