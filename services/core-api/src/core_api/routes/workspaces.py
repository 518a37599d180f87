import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from core_api.routes.deps import DbPool, Settings
from core_api.schemas import WorkspaceIn, WorkspaceOut, WorkspaceUpdateIn
from core_api.services import workspaces
from sendfx_shared.auth import CurrentAdmin, CurrentPrincipal
from sendfx_shared.pagination import Page, Paging

router = APIRouter(tags=["workspaces"])


@router.post("/api/workspaces", status_code=201)
async def create_workspace(
    body: WorkspaceIn, principal: CurrentPrincipal, pool: DbPool, settings: Settings
) -> WorkspaceOut:
    """The new workspace starts on the default tier (``free``)."""
    return await workspaces.create_workspace(pool, settings, principal, body)


@router.get("/api/workspaces")
async def list_my_workspaces(
    principal: CurrentPrincipal, pool: DbPool, page: Paging
) -> Page[WorkspaceOut]:
    return await workspaces.list_workspaces(pool, principal, page, all_=False)


@router.get("/api/workspaces/{workspace_id}")
async def get_workspace(
    workspace_id: uuid.UUID, principal: CurrentPrincipal, pool: DbPool
) -> WorkspaceOut:
    return await workspaces.get_workspace(pool, principal, workspace_id)


@router.patch("/api/workspaces/{workspace_id}")
async def update_workspace(
    workspace_id: uuid.UUID, body: WorkspaceUpdateIn, principal: CurrentPrincipal, pool: DbPool
) -> WorkspaceOut:
    return await workspaces.update_workspace(pool, principal, workspace_id, body)


@router.delete("/api/workspaces/{workspace_id}", status_code=204)
async def delete_workspace(
    workspace_id: uuid.UUID, principal: CurrentPrincipal, pool: DbPool
) -> Response:
    await workspaces.delete_workspace(pool, principal, workspace_id)
    return Response(status_code=204)


@router.get("/api/admin/workspaces", tags=["admin: workspaces"])
async def list_all_workspaces(
    admin: CurrentAdmin,
    pool: DbPool,
    page: Paging,
    q: Annotated[
        str | None,
        Query(
            min_length=1, max_length=100, pattern=r"^[^\x00]*$", description="name or slug contains"
        ),
    ] = None,
) -> Page[WorkspaceOut]:
    return await workspaces.list_workspaces(pool, admin, page, all_=True, q=q)


@router.get("/api/admin/workspaces/{workspace_id}", tags=["admin: workspaces"])
async def admin_get_workspace(
    workspace_id: uuid.UUID, admin: CurrentAdmin, pool: DbPool
) -> WorkspaceOut:
    return await workspaces.get_workspace(pool, admin, workspace_id)
