"""Admin price versions: list (cursor pages) and add (never an edit)."""

from datetime import date

import asyncpg

from core_api.db import reading, transaction
from core_api.repositories import model_prices as prices_repo
from core_api.schemas import ModelPriceIn, ModelPriceOut
from sendfx_shared.pagination import Page, decode_cursor, encode_cursor
from sendfx_shared.problems import ProblemError


def _after(cursor: str | None) -> tuple[str, str, date] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return str(position["m"]), str(position["t"]), date.fromisoformat(str(position["d"]))
    except (KeyError, ValueError) as exc:
        raise ProblemError(400, "the cursor is not valid", kind="invalid-cursor") from exc


async def list_prices(
    pool: asyncpg.Pool, model: str | None, cursor: str | None, limit: int
) -> Page[ModelPriceOut]:
    async with reading(pool) as db:
        records = await prices_repo.list_prices(db, model, _after(cursor), limit)
    items = [ModelPriceOut.model_validate(dict(r)) for r in records[:limit]]
    next_cursor = None
    if len(records) > limit and items:
        last = items[-1]
        next_cursor = encode_cursor(
            {"m": last.model, "t": last.service_tier, "d": last.effective_from.isoformat()}
        )
    return Page[ModelPriceOut](items=items, next_cursor=next_cursor)


async def add_price(pool: asyncpg.Pool, body: ModelPriceIn) -> ModelPriceOut:
    """A new price version (409 if the model and tier already have one on that
    date); the usage-ingestor prices calls of that tier on or after
    ``effective_from`` with it, and a reprice applies it to stored calls."""
    async with transaction(pool) as db:
        (inserted,) = await prices_repo.insert_prices(
            db, [prices_repo.price_row(body)], "admin", skip_existing=False
        )
    return ModelPriceOut.model_validate(dict(inserted))
