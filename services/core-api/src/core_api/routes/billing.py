import uuid

from fastapi import APIRouter, Response

from core_api.routes.deps import DbPool
from core_api.schemas import BillingAccountIn, BillingAccountOut
from core_api.services import billing
from sendfx_shared.auth import CurrentPrincipal

router = APIRouter(prefix="/api/workspaces/{workspace_id}/billing-account", tags=["billing"])


@router.get("")
async def get_billing_account(
    workspace_id: uuid.UUID, principal: CurrentPrincipal, pool: DbPool
) -> BillingAccountOut:
    return await billing.get_billing_account(pool, principal, workspace_id)


@router.put("", responses={201: {"model": BillingAccountOut}})
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
