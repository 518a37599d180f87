"""The price file shipped with core-api and its seeding of ``core.model_prices``.

At start-up the file's versions that the table lacks are inserted; a version
already there is never overwritten, because admins edit prices through
core-api and their edit wins.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from core_api.db import Db


class PriceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1)
    effective_from: date
    input: Decimal = Field(ge=0)
    cached_input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    reasoning: Decimal | None = Field(default=None, ge=0)


class PriceFile(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    prices: list[PriceEntry]


def read_price_file(path: Path) -> PriceFile:
    return PriceFile.model_validate_json(path.read_bytes())


async def insert_missing_prices(conn: Db, prices: PriceFile) -> int:
    """Returns how many versions were new to the table."""
    entries = prices.prices
    inserted = await conn.fetch(
        """
        INSERT INTO core.model_prices (model, effective_from, input_per_mtok,
            cached_input_per_mtok, output_per_mtok, reasoning_per_mtok, source)
        SELECT *, 'file' FROM unnest($1::text[], $2::date[], $3::numeric[], $4::numeric[],
                                     $5::numeric[], $6::numeric[])
        ON CONFLICT (model, effective_from) DO NOTHING
        RETURNING id
        """,
        [e.model for e in entries],
        [e.effective_from for e in entries],
        [e.input for e in entries],
        [e.cached_input for e in entries],
        [e.output for e in entries],
        [e.reasoning for e in entries],
    )
    return len(inserted)
