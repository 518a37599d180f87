from datetime import date
from decimal import Decimal

import asyncpg

from core_api.db import Db

_COLUMNS = (
    "id, model, effective_from, input_per_mtok, cached_input_per_mtok, output_per_mtok, "
    "reasoning_per_mtok, source, created_at"
)


async def insert_price(
    db: Db,
    *,
    model: str,
    effective_from: date,
    input_per_mtok: Decimal,
    cached_input_per_mtok: Decimal,
    output_per_mtok: Decimal,
    reasoning_per_mtok: Decimal | None,
) -> asyncpg.Record:
    row = await db.fetchrow(
        f"""INSERT INTO core.model_prices (model, effective_from, input_per_mtok,
               cached_input_per_mtok, output_per_mtok, reasoning_per_mtok, source)
            VALUES ($1, $2, $3, $4, $5, $6, 'admin') RETURNING {_COLUMNS}""",
        model,
        effective_from,
        input_per_mtok,
        cached_input_per_mtok,
        output_per_mtok,
        reasoning_per_mtok,
    )
    assert row is not None
    return row


async def list_prices(
    db: Db, model: str | None, after: tuple[str, date] | None, limit: int
) -> list[asyncpg.Record]:
    """Ordered by (model, effective_from): the versions of a model together."""
    return await db.fetch(
        f"""SELECT {_COLUMNS} FROM core.model_prices
            WHERE ($1::text IS NULL OR model = $1)
              AND ($2::text IS NULL OR (model, effective_from) > ($2::text, $3::date))
            ORDER BY model, effective_from LIMIT $4""",
        model,
        after[0] if after else None,
        after[1] if after else None,
        limit + 1,
    )
