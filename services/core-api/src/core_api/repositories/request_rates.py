"""core-api's request rate counters (``core.request_rates``): one upsert per
request adds to the window's counter atomically, whichever instance serves it."""

import random
from datetime import datetime

import asyncpg

# About one hit in this many also sweeps the windows that have ended.
_SWEEP_ONE_IN = 200


class PostgresRateStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def hit(self, key: str, expires_at: datetime) -> int:
        async with self._pool.acquire() as connection:
            count: int = await connection.fetchval(
                """INSERT INTO core.request_rates AS r (key, count, expires_at)
                   VALUES ($1, 1, $2)
                   ON CONFLICT (key) DO UPDATE SET count = r.count + 1
                   RETURNING count""",
                key,
                expires_at,
            )
            if random.randrange(_SWEEP_ONE_IN) == 0:
                await connection.execute("DELETE FROM core.request_rates WHERE expires_at < now()")
        return count
