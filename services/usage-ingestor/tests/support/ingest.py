"""Calls written straight through the ingestor's batch write, priced by a book
of round rates (so that costs are easy to state in tests)."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from usage_ingestor.price_book import PriceBook
from usage_ingestor.pricing import PriceVersion
from usage_ingestor.store import UsageColumns, write_batch

# m1: $1 input / $0.5 cached / $2 output per 1M tokens; its batch rates half that.
BOOK = PriceBook.of(
    [
        PriceVersion(uuid.uuid4(), "m1", date(2020, 1, 1), Decimal(1), Decimal("0.5"), Decimal(2)),
        PriceVersion(
            uuid.uuid4(),
            "m1",
            date(2020, 1, 1),
            Decimal("0.5"),
            Decimal("0.5"),
            Decimal(1),
            service_tier="batch",
        ),
    ]
)


async def ingest(pool: asyncpg.Pool, events: list[Any]) -> None:
    async with pool.acquire() as conn:
        await write_batch(conn, UsageColumns.of(events, BOOK))
