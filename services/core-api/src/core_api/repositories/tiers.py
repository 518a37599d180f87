import uuid
from typing import Any

import asyncpg

from core_api.db import Db
from core_api.repositories.paging import After, after_args, keyset
from core_api.repositories.updates import update_columns

_COLUMNS = (
    "id, code, name, price_monthly, ai_tokens_monthly, flows, members, models, is_active, "
    "created_at, updated_at"
)
_UPDATABLE = (
    "name",
    "price_monthly",
    "ai_tokens_monthly",
    "flows",
    "members",
    "models",
    "is_active",
)


async def insert_tier(db: Db, values: dict[str, Any]) -> asyncpg.Record:
    row = await db.fetchrow(
        f"""INSERT INTO core.tiers
              (code, name, price_monthly, ai_tokens_monthly, flows, members, models, is_active)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_COLUMNS}""",
        values["code"],
        values["name"],
        values["price_monthly"],
        values["ai_tokens_monthly"],
        values["flows"],
        values["members"],
        values.get("models"),
        values["is_active"],
    )
    assert row is not None
    return row


async def get_tier(db: Db, tier_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(f"SELECT {_COLUMNS} FROM core.tiers WHERE id = $1", tier_id)


async def get_tier_by_code(db: Db, code: str) -> asyncpg.Record | None:
    return await db.fetchrow(f"SELECT {_COLUMNS} FROM core.tiers WHERE code = $1", code)


async def list_tiers(
    db: Db, after: After | None, limit: int, *, active_only: bool
) -> list[asyncpg.Record]:
    return await db.fetch(
        f"""SELECT {_COLUMNS} FROM core.tiers t
            WHERE {keyset("t", 1)} AND (NOT $4 OR is_active)
            ORDER BY created_at, id LIMIT $3""",
        *after_args(after),
        limit + 1,
        active_only,
    )


async def update_tier(db: Db, tier_id: uuid.UUID, changes: dict[str, Any]) -> asyncpg.Record | None:
    return await update_columns(
        db, "core.tiers", tier_id, changes, allowed=_UPDATABLE, returning=_COLUMNS
    )


async def delete_tier(db: Db, tier_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(f"DELETE FROM core.tiers WHERE id = $1 RETURNING {_COLUMNS}", tier_id)
