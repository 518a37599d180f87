"""SQL of the monthly partitions of ``core.openai_usage`` (migration 0050's
functions): made ahead of need, and dropped past the retention."""

from typing import Final

from usage_ingestor.db import Connection

_ENSURE: Final = "SELECT core.usage_ensure_partitions($1) AS made"
_DROP: Final = "SELECT core.usage_drop_partitions($1) AS dropped"
_LIST: Final = """
SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound,
    c.reltuples::bigint AS estimated_rows
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'core.openai_usage'::regclass
ORDER BY c.relname
"""


async def ensure_partitions(conn: Connection, months_ahead: int) -> list[str]:
    """The current month's and ``months_ahead`` more; empties the default partition
    into partitions of its months. Returns the partitions made."""
    return [r["made"] for r in await conn.fetch(_ENSURE, months_ahead)]


async def drop_partitions(conn: Connection, keep_months: int) -> list[str]:
    """Detaches and drops the months before the last ``keep_months`` whole ones."""
    return [r["dropped"] for r in await conn.fetch(_DROP, keep_months)]


async def list_partitions(conn: Connection) -> list[tuple[str, str, int]]:
    """(name, bound, estimated rows) of every partition, the default's included."""
    return [(r["name"], r["bound"], r["estimated_rows"]) for r in await conn.fetch(_LIST)]
