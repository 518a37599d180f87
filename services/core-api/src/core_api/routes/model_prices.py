from typing import Annotated

from fastapi import APIRouter, Query

from core_api.routes.deps import DbPool
from core_api.schemas import ModelPriceIn, ModelPriceOut
from core_api.services import model_prices
from sendfx_shared.auth import CurrentAdmin
from sendfx_shared.pagination import DEFAULT_PAGE, Cursor, Limit, Page

router = APIRouter(prefix="/api/admin/model-prices", tags=["admin: model prices"])


@router.get("")
async def list_prices(
    _: CurrentAdmin,
    pool: DbPool,
    model: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> Page[ModelPriceOut]:
    return await model_prices.list_prices(pool, model, cursor, limit)


@router.post("", status_code=201)
async def add_price(body: ModelPriceIn, _: CurrentAdmin, pool: DbPool) -> ModelPriceOut:
    """Adds a price version (409 if the model and tier already have one on that date)."""
    return await model_prices.add_price(pool, body)
