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
from core_api.repositories.model_prices import insert_prices, price_row
from sendfx_shared.events.openai_usage import DEFAULT_TIER, ServiceTier


class PriceEntry(BaseModel):
    """One version: USD per 1M tokens of each token kind for a model (or family)
    and served tier, from a date; a kind left out has no rate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1)
    service_tier: ServiceTier = DEFAULT_TIER
    effective_from: date
    input: Decimal = Field(ge=0)
    cached_input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    reasoning: Decimal | None = Field(default=None, ge=0)
    cache_write: Decimal | None = Field(default=None, ge=0)
    audio_input: Decimal | None = Field(default=None, ge=0)
    audio_output: Decimal | None = Field(default=None, ge=0)


class PriceFile(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    prices: list[PriceEntry]


def read_price_file(path: Path) -> PriceFile:
    return PriceFile.model_validate_json(path.read_bytes())


async def insert_missing_prices(conn: Db, prices: PriceFile) -> int:
    """Returns how many versions were new to the table."""
    rows = [price_row(entry) for entry in prices.prices]
    return len(await insert_prices(conn, rows, "file", skip_existing=True))
