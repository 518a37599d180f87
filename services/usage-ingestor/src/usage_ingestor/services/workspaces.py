"""A workspace the usage routes may answer about (else 404)."""

import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from sendfx_shared.problems import NotFound
from usage_ingestor.repositories.workspaces import workspace_known

CatchUp = Callable[[], Awaitable[bool]]


async def ensure_workspace(pool: asyncpg.Pool, workspace_id: uuid.UUID, catch_up: CatchUp) -> None:
    """404 unless the workspace is known and not deleted. One just created in
    core-api may not be announced here yet: before answering 404 for a
    workspace never heard of, wait (briefly) until core.events is consumed
    to now."""
    async with pool.acquire() as conn:
        known = await workspace_known(conn, workspace_id)
    if known is None and await catch_up():
        async with pool.acquire() as conn:
            known = await workspace_known(conn, workspace_id)
    if not known:
        raise NotFound("workspace")
