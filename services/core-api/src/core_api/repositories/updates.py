import uuid
from collections.abc import Mapping, Sequence

import asyncpg

from core_api.db import Db


async def update_columns(
    db: Db,
    table: str,
    row_id: uuid.UUID,
    changes: Mapping[str, object],
    *,
    allowed: Sequence[str],
    returning: str,
) -> asyncpg.Record | None:
    """``UPDATE table SET <the allowed columns in changes> WHERE id = row_id``;
    column names come from ``allowed`` only, values are parameters."""
    fields = [name for name in allowed if name in changes]
    if not fields:
        return await db.fetchrow(f"SELECT {returning} FROM {table} WHERE id = $1", row_id)
    assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(fields, start=2))
    return await db.fetchrow(
        f"UPDATE {table} SET {assignments} WHERE id = $1 RETURNING {returning}",
        row_id,
        *(changes[name] for name in fields),
    )
