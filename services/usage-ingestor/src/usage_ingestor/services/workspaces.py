"""What the usage routes ask about: a known workspace (else 404) and a range of
its local days."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from sendfx_shared.problems import NotFound
from usage_ingestor.repositories.workspaces import workspace_known
from usage_ingestor.services.days import day_range, utc_span, zone_of

CatchUp = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class UsageRange:
    """What a usage route asks about: a workspace's local days ``first``..``last``
    of ``tz`` (None: the default range, days.day_range)."""

    workspace_id: uuid.UUID
    first: date | None
    last: date | None
    tz: str


@dataclass(frozen=True)
class ResolvedRange:
    workspace_id: uuid.UUID
    days: tuple[date, date]
    tz: str
    span: tuple[datetime, datetime]


async def resolve_range(pool: asyncpg.Pool, asked: UsageRange, catch_up: CatchUp) -> ResolvedRange:
    """The range with its defaults, once the zone is valid and the workspace known."""
    days = day_range(asked.first, asked.last, zone_of(asked.tz))
    await ensure_workspace(pool, asked.workspace_id, catch_up)
    return ResolvedRange(asked.workspace_id, days, asked.tz, utc_span(*days))


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
