import uuid

from fastapi import APIRouter, Response

from core_api.routes.deps import DbPool
from core_api.schemas import BillingAccountIn, BillingAccountOut
from core_api.services import billing
from sendfx_shared.auth import CurrentAdmin, CurrentPrincipal

router = APIRouter(tags=["billing"])
_PATH = "/api/workspaces/{workspace_id}/billing-account"


@router.get(_PATH)
async def get_billing_account(
    workspace_id: uuid.UUID, principal: CurrentPrincipal, pool: DbPool
) -> BillingAccountOut:
    return await billing.get_billing_account(pool, principal, workspace_id)


@router.put(_PATH, responses={201: {"model": BillingAccountOut}})
async def put_billing_account(
    workspace_id: uuid.UUID,
    body: BillingAccountIn,
    principal: CurrentPrincipal,
    pool: DbPool,
    response: Response,
) -> BillingAccountOut:
    """Creates (201) or replaces (200) the workspace's billing account."""
    account, created = await billing.put_billing_account(pool, principal, workspace_id, body)
    response.status_code = 201 if created else 200
    return account


@router.get("/api/admin/workspaces/{workspace_id}/billing-account", tags=["admin: workspaces"])
async def admin_get_billing_account(
    workspace_id: uuid.UUID, admin: CurrentAdmin, pool: DbPool
) -> BillingAccountOut:
    return await billing.get_billing_account(pool, admin, workspace_id)
