import uuid

import asyncpg

from core_api.db import Db
from core_api.repositories.paging import After, after_args, keyset

_COLUMNS = """
w.id, w.name, w.slug, w.owner_id, w.tier_id, w.version, w.created_at, w.updated_at,
t.code AS tier_code, t.ai_tokens_monthly, t.flows, t.members, t.models
"""
_FROM = "FROM core.workspaces w LEFT JOIN core.tiers t ON t.id = w.tier_id"
_SELECT = f"SELECT {_COLUMNS} {_FROM}"


async def insert_workspace(
    db: Db, *, name: str, slug: str, owner_id: uuid.UUID, tier_id: uuid.UUID | None
) -> uuid.UUID:
    workspace_id: uuid.UUID = await db.fetchval(
        """INSERT INTO core.workspaces (name, slug, owner_id, tier_id)
           VALUES ($1, $2, $3, $4) RETURNING id""",
        name,
        slug,
        owner_id,
        tier_id,
    )
    return workspace_id


async def get_workspace(db: Db, workspace_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(f"{_SELECT} WHERE w.id = $1", workspace_id)


async def get_workspace_as(
    db: Db, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> asyncpg.Record | None:
    """The workspace with the user's role in it (``role``, null when not a
    member), in one round trip."""
    return await db.fetchrow(
        f"""SELECT m.role, {_COLUMNS} {_FROM}
            LEFT JOIN core.workspace_members m ON m.workspace_id = w.id AND m.user_id = $2
            WHERE w.id = $1""",
        workspace_id,
        user_id,
    )


async def membership(
    db: Db, workspace_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool
) -> tuple[bool, str | None]:
    """Whether the workspace exists and the user's role in it, in one round
    trip; ``lock`` takes the workspace row lock for the transaction."""
    row = await db.fetchrow(
        f"""SELECT (SELECT role FROM core.workspace_members
                    WHERE workspace_id = w.id AND user_id = $2) AS role
            FROM core.workspaces w WHERE w.id = $1 {"FOR UPDATE" if lock else ""}""",
        workspace_id,
        user_id,
    )
    return (row is not None, row["role"] if row is not None else None)


async def lock_workspace(db: Db, workspace_id: uuid.UUID) -> bool:
    """Serialises every change of a workspace's membership and subscription."""
    found = await db.fetchval(
        "SELECT true FROM core.workspaces WHERE id = $1 FOR UPDATE", workspace_id
    )
    return bool(found)


def _like_pattern(text: str) -> str:
    """A substring pattern for ILIKE with the caller's own wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_workspaces(
    db: Db, after: After | None, limit: int, member_id: uuid.UUID | None, q: str | None = None
) -> list[asyncpg.Record]:
    """All workspaces (``q``: those whose name or slug contains it), or those
    ``member_id`` belongs to (with their role)."""
    if member_id is None:
        return await db.fetch(
            f"""{_SELECT} WHERE {keyset("w", 1)}
                AND ($4::text IS NULL OR w.name ILIKE $4 OR w.slug ILIKE $4)
                ORDER BY w.created_at, w.id LIMIT $3""",
            *after_args(after),
            limit + 1,
            None if q is None else _like_pattern(q),
        )
    return await db.fetch(
        f"""SELECT s.*, m.role FROM ({_SELECT}) s
            JOIN core.workspace_members m ON m.workspace_id = s.id AND m.user_id = $4
            WHERE {keyset("s", 1)} ORDER BY s.created_at, s.id LIMIT $3""",
        *after_args(after),
        limit + 1,
        member_id,
    )


async def update_workspace(
    db: Db, workspace_id: uuid.UUID, *, name: str | None, slug: str | None
) -> None:
    await db.execute(
        """UPDATE core.workspaces
           SET name = coalesce($2, name), slug = coalesce($3, slug), version = version + 1
           WHERE id = $1""",
        workspace_id,
        name,
        slug,
    )


async def set_owner(db: Db, workspace_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    await db.execute(
        "UPDATE core.workspaces SET owner_id = $2, version = version + 1 WHERE id = $1",
        workspace_id,
        owner_id,
    )


async def set_tier(db: Db, workspace_id: uuid.UUID, tier_id: uuid.UUID | None) -> None:
    await db.execute(
        "UPDATE core.workspaces SET tier_id = $2, version = version + 1 WHERE id = $1",
        workspace_id,
        tier_id,
    )


async def bump_workspaces_on_tier(db: Db, tier_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await db.fetch(
        "UPDATE core.workspaces SET version = version + 1 WHERE tier_id = $1 RETURNING id",
        tier_id,
    )
    return [r["id"] for r in rows]


async def delete_workspace(db: Db, workspace_id: uuid.UUID) -> None:
    await db.execute("DELETE FROM core.workspaces WHERE id = $1", workspace_id)


async def slug_taken(db: Db, slug: str) -> bool:
    return bool(await db.fetchval("SELECT true FROM core.workspaces WHERE slug = $1", slug))
