import re
import secrets
import uuid

import asyncpg

from core_api.db import Db, reading, transaction
from core_api.events import emit
from core_api.repositories import members as members_repo
from core_api.repositories import workspaces as workspaces_repo
from core_api.repositories.paging import page_of, parse_cursor
from core_api.schemas import TierLimitsOut, WorkspaceIn, WorkspaceOut, WorkspaceUpdateIn
from core_api.services.access import access_of, workspace_access
from core_api.services.limits import default_tier, limits_of
from core_api.settings import CoreApiSettings
from sendfx_shared.auth import Principal
from sendfx_shared.events import core as core_events
from sendfx_shared.events.core import WorkspaceChanged, WorkspaceMemberChanged
from sendfx_shared.pagination import Page, PageRequest
from sendfx_shared.problems import Forbidden


def slug_from(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48] or "workspace"
    return f"{base}-{secrets.token_hex(3)}"


def workspace_changed(row: asyncpg.Record, version: int | None = None) -> WorkspaceChanged:
    return WorkspaceChanged(
        workspace_id=row["id"],
        name=row["name"],
        slug=row["slug"],
        owner_id=row["owner_id"],
        tier_code=row["tier_code"],
        limits=limits_of(row),
        version=row["version"] if version is None else version,
    )


def workspace_out(row: asyncpg.Record, role: str | None) -> WorkspaceOut:
    return WorkspaceOut(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        owner_id=row["owner_id"],
        tier_code=row["tier_code"],
        limits=TierLimitsOut(**limits_of(row).model_dump()),
        role=role,
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def emit_workspace_updated(db: Db, workspace_id: uuid.UUID) -> asyncpg.Record:
    row = await workspaces_repo.get_workspace(db, workspace_id)
    assert row is not None
    await emit(db, core_events.WORKSPACE_UPDATED, workspace_id, workspace_changed(row))
    return row


async def create_workspace(
    pool: asyncpg.Pool, settings: CoreApiSettings, principal: Principal, body: WorkspaceIn
) -> WorkspaceOut:
    """A new workspace, owned by the caller, on the default tier."""
    async with transaction(pool) as db:
        tier = await default_tier(db, settings)
        workspace_id = await workspaces_repo.insert_workspace(
            db,
            name=body.name,
            slug=body.slug or slug_from(body.name),
            owner_id=principal.user_id,
            tier_id=tier["id"],
        )
        member = await members_repo.insert_member(db, workspace_id, principal.user_id, "owner")
        row = await workspaces_repo.get_workspace(db, workspace_id)
        assert row is not None
        await emit(db, core_events.WORKSPACE_CREATED, workspace_id, workspace_changed(row))
        await emit(
            db,
            core_events.WORKSPACE_MEMBER_ADDED,
            workspace_id,
            WorkspaceMemberChanged(
                workspace_id=workspace_id,
                user_id=principal.user_id,
                role="owner",
                version=member["version"],
            ),
        )
    return workspace_out(row, "owner")


async def get_workspace(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID
) -> WorkspaceOut:
    async with reading(pool) as db:
        row = await workspaces_repo.get_workspace_as(db, workspace_id, principal.user_id)
    role = row["role"] if row is not None else None
    access_of(principal, workspace_id, row is not None, role)
    assert row is not None  # access_of refused a missing workspace
    return workspace_out(row, role)


async def list_workspaces(
    pool: asyncpg.Pool,
    principal: Principal,
    page: PageRequest,
    *,
    all_: bool,
    q: str | None = None,
) -> Page[WorkspaceOut]:
    """The caller's workspaces, or (``all_``, admin routes) every workspace,
    narrowed to names or slugs containing ``q``."""
    async with reading(pool) as db:
        records = await workspaces_repo.list_workspaces(
            db, parse_cursor(page.cursor), page.limit, None if all_ else principal.user_id, q
        )
    rows, next_cursor = page_of(records, page.limit)
    items = [workspace_out(r, r.get("role")) for r in rows]  # type: ignore[arg-type]
    return Page[WorkspaceOut](items=items, next_cursor=next_cursor)


async def update_workspace(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID, body: WorkspaceUpdateIn
) -> WorkspaceOut:
    async with transaction(pool) as db:
        access = await workspace_access(db, principal, workspace_id, manage=True, lock=True)
        if body.name is None and body.slug is None:
            row = await workspaces_repo.get_workspace(db, workspace_id)
            assert row is not None
        else:
            await workspaces_repo.update_workspace(db, workspace_id, name=body.name, slug=body.slug)
            row = await emit_workspace_updated(db, workspace_id)
    return workspace_out(row, access.role)


async def delete_workspace(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID
) -> None:
    async with transaction(pool) as db:
        access = await workspace_access(db, principal, workspace_id, lock=True)
        if not access.is_owner:
            raise Forbidden("only the owner can delete the workspace")
        row = await workspaces_repo.get_workspace(db, workspace_id)
        assert row is not None
        await workspaces_repo.delete_workspace(db, workspace_id)
        await emit(
            db,
            core_events.WORKSPACE_DELETED,
            workspace_id,
            workspace_changed(row, version=row["version"] + 1),
        )
