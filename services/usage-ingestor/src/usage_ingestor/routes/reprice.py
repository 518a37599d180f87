"""``POST /api/admin/usage/reprice`` (CONTRACT.md)."""

from fastapi import APIRouter

from sendfx_shared.auth import CurrentAdmin
from usage_ingestor.routes.deps import Ingestor
from usage_ingestor.schemas import RepriceIn, RepriceOut
from usage_ingestor.services import reprice

router = APIRouter(tags=["admin: usage"])


@router.post("/api/admin/usage/reprice")
async def reprice_usage(body: RepriceIn, _: CurrentAdmin, ingestor: Ingestor) -> RepriceOut:
    """Recomputes the cost of the stored calls of ``from``..``to`` (UTC days;
    ``model``: only its calls) with the prices now in force for their
    ``occurred_at``, and the rollup with them. Safe while calls keep coming;
    running it twice changes nothing the second time."""
    return await reprice.reprice(ingestor.pool, body, ingestor.settings.reprice_chunk)
