"""Refresh tokens (``core.refresh_tokens``): stored as SHA-256 hashes only."""

import uuid
from datetime import datetime

import asyncpg

from core_api.db import Db


async def insert(
    db: Db, *, family_id: uuid.UUID, user_id: uuid.UUID, token_hash: bytes, expires_at: datetime
) -> None:
    await db.execute(
        """INSERT INTO core.refresh_tokens (family_id, user_id, token_hash, expires_at)
           VALUES ($1, $2, $3, $4)""",
        family_id,
        user_id,
        token_hash,
        expires_at,
    )


async def lock_by_hash(db: Db, token_hash: bytes) -> asyncpg.Record | None:
    """The token's row, locked until the transaction ends (one rotation wins)."""
    return await db.fetchrow(
        """SELECT id, family_id, user_id, expires_at, rotated_at, revoked_at,
                  expires_at <= now() AS expired
             FROM core.refresh_tokens WHERE token_hash = $1 FOR UPDATE""",
        token_hash,
    )


async def family_of(db: Db, token_hash: bytes) -> uuid.UUID | None:
    family: uuid.UUID | None = await db.fetchval(
        "SELECT family_id FROM core.refresh_tokens WHERE token_hash = $1", token_hash
    )
    return family


async def mark_rotated(db: Db, token_id: uuid.UUID) -> None:
    await db.execute("UPDATE core.refresh_tokens SET rotated_at = now() WHERE id = $1", token_id)


async def revoke_family(db: Db, family_id: uuid.UUID) -> None:
    await db.execute(
        """UPDATE core.refresh_tokens SET revoked_at = now()
            WHERE family_id = $1 AND revoked_at IS NULL""",
        family_id,
    )
