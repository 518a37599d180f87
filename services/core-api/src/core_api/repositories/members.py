import uuid

import asyncpg

from core_api.db import Db
from core_api.repositories.paging import After, after_args, keyset

_SELECT = """
SELECT m.id, m.workspace_id, m.user_id, m.role, m.version, m.created_at, m.updated_at,
       u.email::text AS email, u.name
FROM core.workspace_members m JOIN core.users u ON u.id = m.user_id
"""


async def insert_member(
    db: Db, workspace_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> asyncpg.Record:
    await db.execute(
        "INSERT INTO core.workspace_members (workspace_id, user_id, role) VALUES ($1, $2, $3)",
        workspace_id,
        user_id,
        role,
    )
    row = await get_member(db, workspace_id, user_id)
    assert row is not None
    return row


async def get_member(db: Db, workspace_id: uuid.UUID, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        f"{_SELECT} WHERE m.workspace_id = $1 AND m.user_id = $2", workspace_id, user_id
    )


async def role_of(db: Db, workspace_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    role: str | None = await db.fetchval(
        "SELECT role FROM core.workspace_members WHERE workspace_id = $1 AND user_id = $2",
        workspace_id,
        user_id,
    )
    return role


async def list_members(
    db: Db, workspace_id: uuid.UUID, after: After | None, limit: int
) -> list[asyncpg.Record]:
    return await db.fetch(
        f"""{_SELECT} WHERE m.workspace_id = $1 AND {keyset("m", 2)}
            ORDER BY m.created_at, m.id LIMIT $4""",
        workspace_id,
        *after_args(after),
        limit + 1,
    )


async def set_role(
    db: Db, workspace_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> asyncpg.Record | None:
    await db.execute(
        """UPDATE core.workspace_members SET role = $3, version = version + 1
           WHERE workspace_id = $1 AND user_id = $2""",
        workspace_id,
        user_id,
        role,
    )
    return await get_member(db, workspace_id, user_id)


async def delete_member(
    db: Db, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> asyncpg.Record | None:
    return await db.fetchrow(
        """DELETE FROM core.workspace_members WHERE workspace_id = $1 AND user_id = $2
           RETURNING user_id, role, version""",
        workspace_id,
        user_id,
    )


async def count_members(db: Db, workspace_id: uuid.UUID) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM core.workspace_members WHERE workspace_id = $1", workspace_id
    )
    return count
