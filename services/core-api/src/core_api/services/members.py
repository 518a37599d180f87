"""Membership: add by email, change role, remove.

A workspace has exactly one owner at all times (a partial unique index, and
every change here runs under the workspace's row lock, so concurrent changes
are serialised): ownership moves only by making another member the owner,
which makes the previous owner an admin; the owner can neither be removed,
leave nor be demoted directly.

Adding by email adds an already registered user; an unknown email is a 404
(``user``): there are no pending invitations yet.
"""

import uuid

import asyncpg

from core_api.db import Db, reading, transaction
from core_api.events import emit
from core_api.repositories import members as members_repo
from core_api.repositories import users as users_repo
from core_api.repositories import workspaces as workspaces_repo
from core_api.repositories.paging import page_of, parse_cursor
from core_api.schemas import MemberIn, MemberOut
from core_api.services.access import workspace_access
from core_api.services.workspaces import emit_workspace_updated
from sendfx_shared.auth import Principal
from sendfx_shared.events import core as core_events
from sendfx_shared.events.core import WorkspaceMemberChanged
from sendfx_shared.pagination import Page, PageRequest
from sendfx_shared.problems import Conflict, Forbidden, NotFound


async def _emit(db: Db, event_type: str, row: asyncpg.Record, version: int | None = None) -> None:
    await emit(
        db,
        event_type,
        row["workspace_id"],
        WorkspaceMemberChanged(
            workspace_id=row["workspace_id"],
            user_id=row["user_id"],
            role=row["role"],
            version=row["version"] if version is None else version,
        ),
    )


async def list_members(
    pool: asyncpg.Pool,
    principal: Principal,
    workspace_id: uuid.UUID,
    page: PageRequest,
) -> Page[MemberOut]:
    async with reading(pool) as db:
        await workspace_access(db, principal, workspace_id)
        records = await members_repo.list_members(
            db, workspace_id, parse_cursor(page.cursor), page.limit
        )
    rows, next_cursor = page_of(records, page.limit)
    return Page[MemberOut](
        items=[MemberOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


async def get_member(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> MemberOut:
    async with reading(pool) as db:
        await workspace_access(db, principal, workspace_id)
        row = await members_repo.get_member(db, workspace_id, user_id)
    if row is None:
        raise NotFound("member")
    return MemberOut.model_validate(dict(row))


async def add_member(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID, body: MemberIn
) -> MemberOut:
    async with transaction(pool) as db:
        await workspace_access(db, principal, workspace_id, manage=True, lock=True)
        user = await users_repo.get_user_by_email(db, body.email)
        if user is None or not user["is_active"]:
            raise NotFound("user")
        workspace = await workspaces_repo.get_workspace(db, workspace_id)
        assert workspace is not None
        limit = workspace["members"]
        if limit is not None and await members_repo.count_members(db, workspace_id) >= limit:
            raise Conflict(f"the workspace's tier allows {limit} members")
        row = await members_repo.insert_member(db, workspace_id, user["id"], body.role)
        await _emit(db, core_events.WORKSPACE_MEMBER_ADDED, row)
    return MemberOut.model_validate(dict(row))


async def change_role(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> MemberOut:
    async with transaction(pool) as db:
        access = await workspace_access(db, principal, workspace_id, manage=True, lock=True)
        target = await members_repo.get_member(db, workspace_id, user_id)
        if target is None:
            raise NotFound("member")
        if target["role"] == role:
            return MemberOut.model_validate(dict(target))
        if target["role"] == "owner":
            raise Conflict(
                "a workspace always has one owner: make another member the owner instead"
            )
        if role == "owner":
            if not access.is_owner:
                raise Forbidden("only the owner can hand over ownership")
            await _transfer_ownership(db, workspace_id, user_id)
            row = await members_repo.get_member(db, workspace_id, user_id)
        else:
            row = await members_repo.set_role(db, workspace_id, user_id, role)
            assert row is not None
            await _emit(db, core_events.WORKSPACE_MEMBER_ROLE_CHANGED, row)
    assert row is not None
    return MemberOut.model_validate(dict(row))


async def _transfer_ownership(db: Db, workspace_id: uuid.UUID, new_owner: uuid.UUID) -> None:
    workspace = await workspaces_repo.get_workspace(db, workspace_id)
    assert workspace is not None
    old_owner = workspace["owner_id"]
    # Demote first: the one-owner index is checked per statement.
    if old_owner is not None and old_owner != new_owner:
        demoted = await members_repo.set_role(db, workspace_id, old_owner, "admin")
        if demoted is not None:
            await _emit(db, core_events.WORKSPACE_MEMBER_ROLE_CHANGED, demoted)
    promoted = await members_repo.set_role(db, workspace_id, new_owner, "owner")
    assert promoted is not None
    await _emit(db, core_events.WORKSPACE_MEMBER_ROLE_CHANGED, promoted)
    await workspaces_repo.set_owner(db, workspace_id, new_owner)
    await emit_workspace_updated(db, workspace_id)


async def remove_member(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    leaving = user_id == principal.user_id
    async with transaction(pool) as db:
        await workspace_access(db, principal, workspace_id, manage=not leaving, lock=True)
        target = await members_repo.get_member(db, workspace_id, user_id)
        if target is None:
            raise NotFound("member")
        if target["role"] == "owner":
            raise Conflict("the owner cannot leave: make another member the owner first")
        await members_repo.delete_member(db, workspace_id, user_id)
        await _emit(db, core_events.WORKSPACE_MEMBER_REMOVED, target, version=target["version"] + 1)
