import uuid
from typing import Any

from fastapi import APIRouter, Response

from core_api.routes.deps import DbPool, Settings
from core_api.schemas import (
    SubscriptionChangeIn,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionStatusIn,
)
from core_api.services import subscriptions
from sendfx_shared.auth import CurrentAdmin, CurrentPrincipal
from sendfx_shared.pagination import Page, Paging

router = APIRouter(tags=["subscriptions"])
_WS = "/api/workspaces/{workspace_id}"


@router.get(f"{_WS}/subscription")
async def get_live_subscription(
    workspace_id: uuid.UUID, principal: CurrentPrincipal, pool: DbPool
) -> SubscriptionOut:
    """The live (not canceled) subscription; 404 when there is none."""
    return await subscriptions.get_live_subscription(pool, principal, workspace_id)


_PENDING: dict[int | str, dict[str, Any]] = {
    202: {"model": SubscriptionOut, "description": "the paid tier waits for payment"}
}


@router.patch(f"{_WS}/subscription", responses=_PENDING)
async def change_tier(
    workspace_id: uuid.UUID,
    body: SubscriptionChangeIn,
    principal: CurrentPrincipal,
    pool: DbPool,
    response: Response,
) -> SubscriptionOut:
    """A move to a paid tier answers 202 and waits as ``pending_tier_code``
    until an admin or the billing webhook activates it."""
    out = await subscriptions.change_tier(pool, principal, workspace_id, body.tier_code)
    if out.pending_tier_code is not None:
        response.status_code = 202
    return out


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
    page: Paging,
) -> Page[SubscriptionOut]:
    return await subscriptions.list_subscriptions(pool, principal, workspace_id, page)


@router.post(f"{_WS}/subscriptions", status_code=201)
async def create_subscription(
    workspace_id: uuid.UUID,
    body: SubscriptionIn,
    principal: CurrentPrincipal,
    pool: DbPool,
    settings: Settings,
) -> SubscriptionOut:
    """409 while the workspace has a live subscription. A paid tier asked by
    a non-admin starts the subscription on the default tier, the paid one pending."""
    return await subscriptions.create_subscription(pool, settings, principal, workspace_id, body)


@router.get("/api/admin/subscriptions", tags=["admin: subscriptions"])
async def list_all_subscriptions(
    _: CurrentAdmin,
    pool: DbPool,
    page: Paging,
    workspace_id: uuid.UUID | None = None,
) -> Page[SubscriptionOut]:
    return await subscriptions.list_subscriptions(pool, None, workspace_id, page)


@router.patch("/api/admin/subscriptions/{subscription_id}", tags=["admin: subscriptions"])
async def set_subscription_status(
    subscription_id: uuid.UUID,
    body: SubscriptionStatusIn,
    _: CurrentAdmin,
    pool: DbPool,
    settings: Settings,
) -> SubscriptionOut:
    return await subscriptions.set_status(pool, settings, subscription_id, body.status)


@router.post(
    "/api/admin/subscriptions/{subscription_id}/activate-pending", tags=["admin: subscriptions"]
)
async def activate_pending_tier(
    subscription_id: uuid.UUID, _: CurrentAdmin, pool: DbPool
) -> SubscriptionOut:
    """The pending paid tier becomes the subscription's tier; 409 when none is pending."""
    return await subscriptions.activate_pending(pool, subscription_id)
