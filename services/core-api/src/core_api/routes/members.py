import uuid

from fastapi import APIRouter, Response

from core_api.routes.deps import DbPool
from core_api.schemas import MemberIn, MemberOut, MemberRoleIn
from core_api.services import members
from sendfx_shared.auth import CurrentAdmin, CurrentPrincipal
from sendfx_shared.pagination import Page, Paging

router = APIRouter(prefix="/api/workspaces/{workspace_id}/members", tags=["members"])
admin_router = APIRouter(
    prefix="/api/admin/workspaces/{workspace_id}/members", tags=["admin: workspaces"]
)


@router.get("")
async def list_members(
    workspace_id: uuid.UUID,
    principal: CurrentPrincipal,
    pool: DbPool,
    page: Paging,
) -> Page[MemberOut]:
    return await members.list_members(pool, principal, workspace_id, page)


@router.post("", status_code=201)
async def add_member(
    workspace_id: uuid.UUID, body: MemberIn, principal: CurrentPrincipal, pool: DbPool
) -> MemberOut:
    """Adds a registered user by email (404 ``user`` when no active user has it)."""
    return await members.add_member(pool, principal, workspace_id, body)


@router.get("/{user_id}")
async def get_member(
    workspace_id: uuid.UUID, user_id: uuid.UUID, principal: CurrentPrincipal, pool: DbPool
) -> MemberOut:
    return await members.get_member(pool, principal, workspace_id, user_id)


@router.patch("/{user_id}")
async def change_role(
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberRoleIn,
    principal: CurrentPrincipal,
    pool: DbPool,
) -> MemberOut:
    """``owner`` hands over ownership (the previous owner becomes admin)."""
    return await members.change_role(pool, principal, workspace_id, user_id, body.role)


@router.delete("/{user_id}", status_code=204)
async def remove_member(
    workspace_id: uuid.UUID, user_id: uuid.UUID, principal: CurrentPrincipal, pool: DbPool
) -> Response:
    """Removes a member, or leaves (own id); the owner cannot leave (409)."""
    await members.remove_member(pool, principal, workspace_id, user_id)
    return Response(status_code=204)


@admin_router.get("")
async def admin_list_members(
    workspace_id: uuid.UUID,
    admin: CurrentAdmin,
    pool: DbPool,
    page: Paging,
) -> Page[MemberOut]:
    return await members.list_members(pool, admin, workspace_id, page)
