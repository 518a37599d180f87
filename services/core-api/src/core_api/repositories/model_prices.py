"""``core.model_prices``: price versions by (model, service tier, effective date)."""

from datetime import date
from decimal import Decimal
from typing import Protocol

import asyncpg

from core_api.db import Db

# The columns under the names CONTRACT.md gives the rates.
_COLUMNS = (
    "id, model, effective_from, service_tier, input_per_mtok AS input,"
    " cached_input_per_mtok AS cached_input, output_per_mtok AS output,"
    " reasoning_per_mtok AS reasoning, cache_write_per_mtok AS cache_write,"
    " audio_input_per_mtok AS audio_input, audio_output_per_mtok AS audio_output,"
    " source, created_at"
)
# (model, service_tier, effective_from, input, cached_input, output, reasoning,
#  cache_write, audio_input, audio_output): a price version as inserted.
PriceRow = tuple[
    str,
    str,
    date,
    Decimal,
    Decimal,
    Decimal,
    Decimal | None,
    Decimal | None,
    Decimal | None,
    Decimal | None,
]


class PriceVersionIn(Protocol):
    """A version to insert: an admin's ``ModelPriceIn`` or a price file entry."""

    @property
    def model(self) -> str: ...
    @property
    def service_tier(self) -> str: ...
    @property
    def effective_from(self) -> date: ...
    @property
    def input(self) -> Decimal: ...
    @property
    def cached_input(self) -> Decimal: ...
    @property
    def output(self) -> Decimal: ...
    @property
    def reasoning(self) -> Decimal | None: ...
    @property
    def cache_write(self) -> Decimal | None: ...
    @property
    def audio_input(self) -> Decimal | None: ...
    @property
    def audio_output(self) -> Decimal | None: ...


def price_row(version: PriceVersionIn) -> PriceRow:
    return (
        version.model,
        version.service_tier,
        version.effective_from,
        version.input,
        version.cached_input,
        version.output,
        version.reasoning,
        version.cache_write,
        version.audio_input,
        version.audio_output,
    )


_INSERT = """
INSERT INTO core.model_prices (model, service_tier, effective_from, input_per_mtok,
    cached_input_per_mtok, output_per_mtok, reasoning_per_mtok, cache_write_per_mtok,
    audio_input_per_mtok, audio_output_per_mtok, source)
SELECT *, $11::text FROM unnest($1::text[], $2::text[], $3::date[], $4::numeric[],
    $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[])
"""


async def insert_prices(
    db: Db, rows: list[PriceRow], source: str, *, skip_existing: bool
) -> list[asyncpg.Record]:
    """Inserts versions; with ``skip_existing`` a version already there is left
    as it is (the price file never overwrites an admin's edit), otherwise it is
    a unique violation."""
    conflict = (
        " ON CONFLICT (model, service_tier, effective_from) DO NOTHING" if skip_existing else ""
    )
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 10
    return await db.fetch(
        f"WITH inserted AS ({_INSERT}{conflict} RETURNING *) SELECT {_COLUMNS} FROM inserted",
        *columns,
        source,
    )


async def list_prices(
    db: Db, model: str | None, after: tuple[str, str, date] | None, limit: int
) -> list[asyncpg.Record]:
    """Ordered by (model, service_tier, effective_from): a model's versions together."""
    return await db.fetch(
        f"""SELECT {_COLUMNS} FROM core.model_prices
            WHERE ($1::text IS NULL OR model = $1)
              AND ($2::text IS NULL
                   OR (model, service_tier, effective_from) > ($2::text, $3::text, $4::date))
            ORDER BY model, service_tier, effective_from LIMIT $5""",
        model,
        after[0] if after else None,
        after[1] if after else None,
        after[2] if after else None,
        limit + 1,
    )
