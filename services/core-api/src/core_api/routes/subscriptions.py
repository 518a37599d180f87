import uuid

from fastapi import APIRouter

from core_api.routes.deps import DbPool
from core_api.schemas import (
    SubscriptionChangeIn,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionStatusIn,
)
from core_api.services import subscriptions
from sendfx_shared.auth import CurrentAdmin, CurrentPrincipal
from sendfx_shared.pagination import DEFAULT_PAGE, Cursor, Limit, Page

router = APIRouter(tags=["subscriptions"])
_WS = "/api/workspaces/{workspace_id}"


@router.get(f"{_WS}/subscription")
async def get_live_subscription(
    workspace_id: uuid.UUID, principal: CurrentPrincipal, pool: DbPool
) -> SubscriptionOut:
    """The live (not canceled) subscription; 404 when there is none."""
    return await subscriptions.get_live_subscription(pool, principal, workspace_id)


@router.patch(f"{_WS}/subscription")
async def change_tier(
    workspace_id: uuid.UUID, body: SubscriptionChangeIn, principal: CurrentPrincipal, pool: DbPool
) -> SubscriptionOut:
    return await subscriptions.change_tier(pool, principal, workspace_id, body.tier_code)


@router.post(f"{_WS}/subscription/cancel")
async def cancel_subscription(
    workspace_id: uuid.UUID, principal: CurrentPrincipal, pool: DbPool
) -> SubscriptionOut:
    """Cancels at the end of the current period."""
    return await subscriptions.cancel_at_period_end(pool, principal, workspace_id)


@router.get(f"{_WS}/subscriptions")
async def list_workspace_subscriptions(
    workspace_id: uuid.UUID,
    principal: CurrentPrincipal,
    pool: DbPool,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> Page[SubscriptionOut]:
    return await subscriptions.list_subscriptions(pool, principal, workspace_id, cursor, limit)


@router.post(f"{_WS}/subscriptions", status_code=201)
async def create_subscription(
    workspace_id: uuid.UUID, body: SubscriptionIn, principal: CurrentPrincipal, pool: DbPool
) -> SubscriptionOut:
    """409 while the workspace has a live subscription."""
    return await subscriptions.create_subscription(pool, principal, workspace_id, body)


@router.get("/api/admin/subscriptions", tags=["admin: subscriptions"])
async def list_all_subscriptions(
    _: CurrentAdmin,
    pool: DbPool,
    workspace_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> Page[SubscriptionOut]:
    return await subscriptions.list_subscriptions(pool, None, workspace_id, cursor, limit)


@router.patch("/api/admin/subscriptions/{subscription_id}", tags=["admin: subscriptions"])
async def set_subscription_status(
    subscription_id: uuid.UUID, body: SubscriptionStatusIn, _: CurrentAdmin, pool: DbPool
) -> SubscriptionOut:
    return await subscriptions.set_status(pool, subscription_id, body.status)
