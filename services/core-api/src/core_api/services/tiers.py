import uuid
from typing import Any

import asyncpg

from core_api.db import Db, reading, transaction
from core_api.events import emit
from core_api.repositories import tiers as tiers_repo
from core_api.repositories import workspaces as workspaces_repo
from core_api.repositories.paging import page_of, parse_cursor
from core_api.schemas import TierIn, TierLimitsOut, TierOut, TierUpdateIn
from core_api.services.limits import limits_of, tier_changed
from core_api.services.workspaces import workspace_changed
from sendfx_shared.events import core as core_events
from sendfx_shared.events.core import TIER_DELETED
from sendfx_shared.pagination import Page, PageRequest
from sendfx_shared.problems import NotFound


def tier_out(row: asyncpg.Record | dict[str, Any]) -> TierOut:
    data = dict(row)
    data["limits"] = TierLimitsOut(**limits_of(row).model_dump())
    return TierOut.model_validate(data)


async def _emit(db: Db, event_type: str, row: asyncpg.Record) -> None:
    await emit(db, event_type, row["id"], tier_changed(row))


async def list_tiers(pool: asyncpg.Pool, page: PageRequest, *, active_only: bool) -> Page[TierOut]:
    async with reading(pool) as db:
        records = await tiers_repo.list_tiers(
            db, parse_cursor(page.cursor), page.limit, active_only=active_only
        )
    rows, next_cursor = page_of(records, page.limit)
    return Page[TierOut](items=[tier_out(r) for r in rows], next_cursor=next_cursor)


async def get_tier(pool: asyncpg.Pool, tier_id: uuid.UUID) -> TierOut:
    async with reading(pool) as db:
        row = await tiers_repo.get_tier(db, tier_id)
    if row is None:
        raise NotFound("tier")
    return tier_out(row)


async def create_tier(pool: asyncpg.Pool, body: TierIn) -> TierOut:
    values = body.model_dump(exclude={"limits"}) | body.limits.model_dump()
    async with transaction(pool) as db:
        row = await tiers_repo.insert_tier(db, values)
        await _emit(db, core_events.TIER_CREATED, row)
    return tier_out(row)


async def update_tier(pool: asyncpg.Pool, tier_id: uuid.UUID, body: TierUpdateIn) -> TierOut:
    changes = body.model_dump(exclude_unset=True, exclude={"limits"})
    if body.limits is not None:
        changes |= body.limits.model_dump(exclude_unset=True)
    async with transaction(pool) as db:
        row = await tiers_repo.update_tier(db, tier_id, changes)
        if row is None:
            raise NotFound("tier")
        if changes:
            await _emit(db, core_events.TIER_UPDATED, row)
            # Feature services learn limits from workspace events: tell every
            # workspace on this tier, in the same transaction.
            for workspace_id in await workspaces_repo.bump_workspaces_on_tier(db, tier_id):
                workspace = await workspaces_repo.get_workspace(db, workspace_id)
                assert workspace is not None
                await emit(
                    db, core_events.WORKSPACE_UPDATED, workspace_id, workspace_changed(workspace)
                )
    return tier_out(row)


async def delete_tier(pool: asyncpg.Pool, tier_id: uuid.UUID) -> None:
    """Only a tier nothing refers to (no workspace, no subscription, even a
    canceled one) can be deleted: 409 otherwise; deactivate it instead."""
    async with transaction(pool) as db:
        row = await tiers_repo.delete_tier(db, tier_id)
        if row is None:
            raise NotFound("tier")
        await _emit(db, TIER_DELETED, row)
