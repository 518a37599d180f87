"""Users and tiers merged by value (email, code) rather than legacy id: the SQL
of ``migrator.user_aliases`` and ``migrator.tier_aliases``, which map every
legacy id to the row it became, so references to a merged record resolve to
the surviving row.
"""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

_STAGE = "migrator_stage_user_aliases"


@dataclass(frozen=True)
class TierAlias:
    legacy_id: str
    kept: str  # the legacy id of the tier holding the row (the oldest)
    code: str
    document: dict[str, Any]
    reported: str | None  # its reason in migrator.migration_rejects, if there


async def prepare_staging(connection: asyncpg.Connection) -> None:
    """The session-local table user aliases are COPYed into (see store.prepare_staging)."""
    await connection.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (legacy_id text, user_id uuid, "
        "email text, created_at timestamptz) ON COMMIT DELETE ROWS"
    )


async def upsert_aliases(
    connection: asyncpg.Connection, aliases: Sequence[tuple[str, uuid.UUID, str, Any]]
) -> None:
    if not aliases:
        return
    await connection.copy_records_to_table(
        _STAGE, records=aliases, columns=["legacy_id", "user_id", "email", "created_at"]
    )
    await connection.execute(
        f"""
        INSERT INTO migrator.user_aliases AS a (legacy_id, user_id, email, created_at)
        SELECT legacy_id, user_id, email, created_at FROM {_STAGE}
        ON CONFLICT (legacy_id) DO UPDATE
            SET user_id = EXCLUDED.user_id, email = EXCLUDED.email,
                created_at = EXCLUDED.created_at
            WHERE (a.user_id, a.email, a.created_at)
                  IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.email, EXCLUDED.created_at);
        DELETE FROM {_STAGE}
        """
    )


async def user_holders(
    connection: asyncpg.Connection, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The legacy id of the account each user row carries (the oldest merged)."""
    rows = await connection.fetch(
        "SELECT id, legacy_id FROM core.users WHERE id = ANY($1::uuid[])", list(user_ids)
    )
    return {r["id"]: r["legacy_id"] for r in rows}


async def upsert_tier_aliases(
    connection: asyncpg.Connection,
    aliases: Sequence[tuple[str, uuid.UUID, str, Any, dict[str, Any]]],
) -> None:
    """(legacy id, tier row id, code, created_at, document) of every tier written."""
    if not aliases:
        return
    await connection.execute(
        """
        INSERT INTO migrator.tier_aliases AS a (legacy_id, tier_id, code, created_at, document)
        SELECT l, t, c, ca, d::jsonb
        FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::text[])
            AS x(l, t, c, ca, d)
        ON CONFLICT (legacy_id) DO UPDATE
            SET tier_id = EXCLUDED.tier_id, code = EXCLUDED.code,
                created_at = EXCLUDED.created_at, document = EXCLUDED.document
            WHERE (a.tier_id, a.code, a.created_at, a.document)
                  IS DISTINCT FROM (EXCLUDED.tier_id, EXCLUDED.code,
                                    EXCLUDED.created_at, EXCLUDED.document)
        """,
        [a[0] for a in aliases],
        [a[1] for a in aliases],
        [a[2] for a in aliases],
        [a[3] for a in aliases],
        [json.dumps(a[4]) for a in aliases],
    )


async def tier_holders(
    connection: asyncpg.Connection, tier_ids: Sequence[uuid.UUID]
) -> list[TierAlias]:
    """Every legacy tier merged into one of ``tier_ids`` (the holders included)."""
    if not tier_ids:
        return []
    rows = await connection.fetch(
        """
        SELECT a.legacy_id, t.legacy_id AS kept, t.code, a.document::text AS document,
               r.reason AS reported
        FROM migrator.tier_aliases a JOIN core.tiers t ON t.id = a.tier_id
        LEFT JOIN migrator.migration_rejects r
            ON r.collection = 'tiers' AND r.legacy_id = a.legacy_id
        WHERE a.tier_id = ANY($1::uuid[])
        ORDER BY a.legacy_id
        """,
        list(tier_ids),
    )
    return [
        TierAlias(r["legacy_id"], r["kept"], r["code"], json.loads(r["document"]), r["reported"])
        for r in rows
    ]


async def merged_users(connection: asyncpg.Connection) -> list[tuple[str, str, str]]:
    """(merged legacy id, surviving legacy id, email) of every email merge."""
    rows = await connection.fetch(
        """
        SELECT a.legacy_id AS merged, u.legacy_id AS kept, u.email::text AS email
        FROM migrator.user_aliases a JOIN core.users u ON u.id = a.user_id
        WHERE a.legacy_id IS DISTINCT FROM u.legacy_id
        ORDER BY u.email, a.legacy_id
        """
    )
    return [(r["merged"], r["kept"], r["email"]) for r in rows]
