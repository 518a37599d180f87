"""``core.model_prices`` as the ingestor reads it (core-api owns the table and
seeds it from its price file; usage-ingestor holds a read-only grant)."""

from usage_ingestor.db import Connection
from usage_ingestor.price_book import PriceBook
from usage_ingestor.pricing import PriceVersion


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
               output_per_mtok, reasoning_per_mtok, service_tier, cache_write_per_mtok,
               audio_input_per_mtok, audio_output_per_mtok
        FROM core.model_prices
        """
    )
    return PriceBook.of(PriceVersion(**dict(r)) for r in rows)
