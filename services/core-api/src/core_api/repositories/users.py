import uuid

import asyncpg

from core_api.db import Db
from core_api.repositories.paging import After, after_args, keyset
from core_api.repositories.updates import update_columns

_COLUMNS = (
    "id, email::text AS email, password_hash, name, role, is_active, auth_version,"
    " created_at, updated_at"
)
_UPDATABLE = ("name", "role", "is_active", "password_hash")


async def insert_user(
    db: Db, *, email: str, password_hash: str, name: str, role: str = "user"
) -> asyncpg.Record:
    row = await db.fetchrow(
        f"""INSERT INTO core.users (email, password_hash, name, role)
            VALUES ($1, $2, $3, $4) RETURNING {_COLUMNS}""",
        email,
        password_hash,
        name,
        role,
    )
    assert row is not None
    return row


async def insert_user_if_absent(
    db: Db, *, email: str, password_hash: str, name: str, role: str
) -> asyncpg.Record | None:
    return await db.fetchrow(
        f"""INSERT INTO core.users (email, password_hash, name, role)
            VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING RETURNING {_COLUMNS}""",
        email,
        password_hash,
        name,
        role,
    )


async def get_user(db: Db, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(f"SELECT {_COLUMNS} FROM core.users WHERE id = $1", user_id)


async def get_user_by_email(db: Db, email: str) -> asyncpg.Record | None:
    return await db.fetchrow(f"SELECT {_COLUMNS} FROM core.users WHERE email = $1", email.strip())


async def update_user(
    db: Db, user_id: uuid.UUID, changes: dict[str, object]
) -> asyncpg.Record | None:
    return await update_columns(
        db, "core.users", user_id, changes, allowed=_UPDATABLE, returning=_COLUMNS
    )


async def set_password_hash_if_unchanged(
    db: Db, user_id: uuid.UUID, old_hash: str, new_hash: str
) -> asyncpg.Record | None:
    """The updated row (its auth version moved on: a new hash is a change)."""
    return await db.fetchrow(
        f"""UPDATE core.users SET password_hash = $3 WHERE id = $1 AND password_hash = $2
            RETURNING {_COLUMNS}""",
        user_id,
        old_hash,
        new_hash,
    )


async def auth_state(db: Db, user_id: uuid.UUID) -> asyncpg.Record | None:
    """What a token is checked against on every request (a primary-key read)."""
    return await db.fetchrow(
        "SELECT role, is_active, auth_version FROM core.users WHERE id = $1", user_id
    )


async def list_users(db: Db, after: After | None, limit: int) -> list[asyncpg.Record]:
    return await db.fetch(
        f"""SELECT {_COLUMNS} FROM core.users u WHERE {keyset("u", 1)}
            ORDER BY created_at, id LIMIT $3""",
        *after_args(after),
        limit + 1,
    )
