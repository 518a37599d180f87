import uuid

from fastapi import APIRouter, Response

from core_api.routes.deps import DbPool
from core_api.schemas import TierIn, TierOut, TierUpdateIn
from core_api.services import tiers
from sendfx_shared.auth import CurrentAdmin, CurrentPrincipal
from sendfx_shared.pagination import Page, Paging

router = APIRouter(tags=["tiers"])


@router.get("/api/tiers")
async def list_active_tiers(_: CurrentPrincipal, pool: DbPool, page: Paging) -> Page[TierOut]:
    return await tiers.list_tiers(pool, page, active_only=True)


@router.get("/api/admin/tiers", tags=["admin: tiers"])
async def list_tiers(_: CurrentAdmin, pool: DbPool, page: Paging) -> Page[TierOut]:
    return await tiers.list_tiers(pool, page, active_only=False)


@router.post("/api/admin/tiers", status_code=201, tags=["admin: tiers"])
async def create_tier(body: TierIn, _: CurrentAdmin, pool: DbPool) -> TierOut:
    return await tiers.create_tier(pool, body)


@router.get("/api/admin/tiers/{tier_id}", tags=["admin: tiers"])
async def get_tier(tier_id: uuid.UUID, _: CurrentAdmin, pool: DbPool) -> TierOut:
    return await tiers.get_tier(pool, tier_id)


@router.patch("/api/admin/tiers/{tier_id}", tags=["admin: tiers"])
async def update_tier(
    tier_id: uuid.UUID, body: TierUpdateIn, _: CurrentAdmin, pool: DbPool
) -> TierOut:
    return await tiers.update_tier(pool, tier_id, body)


@router.delete("/api/admin/tiers/{tier_id}", status_code=204, tags=["admin: tiers"])
async def delete_tier(tier_id: uuid.UUID, _: CurrentAdmin, pool: DbPool) -> Response:
    """409 while a workspace or subscription refers to it (deactivate it instead)."""
    await tiers.delete_tier(pool, tier_id)
    return Response(status_code=204)
