"""The price file shipped in the repo and ``core.model_prices`` (its SQL).

At start-up the file's versions that the table lacks are inserted; a version
already there is never overwritten, because admins edit prices through
core-api and their edit wins.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from usage_ingestor.db import Connection
from usage_ingestor.pricing import PriceBook, PriceVersion


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


async def insert_missing_prices(conn: Connection, prices: PriceFile) -> int:
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


async def prices_fingerprint(conn: Connection) -> tuple[int, object]:
    """Changes whenever a version is added, edited or removed."""
    row = await conn.fetchrow(
        "SELECT count(*) AS n, max(updated_at) AS changed FROM core.model_prices"
    )
    assert row is not None
    return int(row["n"]), row["changed"]


async def load_price_book(conn: Connection) -> PriceBook:
    rows = await conn.fetch(
        """
        SELECT id, model, effective_from, input_per_mtok, cached_input_per_mtok,
               output_per_mtok, reasoning_per_mtok
        FROM core.model_prices
        """
    )
    return PriceBook.of(
        PriceVersion(
            id=r["id"],
            model=r["model"],
            effective_from=r["effective_from"],
            input_per_mtok=r["input_per_mtok"],
            cached_input_per_mtok=r["cached_input_per_mtok"],
            output_per_mtok=r["output_per_mtok"],
            reasoning_per_mtok=r["reasoning_per_mtok"],
        )
        for r in rows
    )
