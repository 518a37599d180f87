"""``core.model_prices`` as the ingestor reads it (core-api owns the table and
seeds it from its price file; usage-ingestor holds a read-only grant)."""

from usage_ingestor.db import Connection
from usage_ingestor.pricing import PriceBook, PriceVersion


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
