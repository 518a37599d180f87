"""Legacy records whose natural key belongs to a row created in the platform.

A live platform already has rows of its own (no ``legacy_id``): the admin
core-api seeds, users who registered, a workspace made through the API. A
legacy record with the same natural key (a user's email, a tier's code, a
workspace's slug) is merged into that row instead of being refused: the row
takes the record's ``legacy_id`` (so references to the record resolve to it),
keeps every field the platform gave it, and gets a NULL mark in
``migrator.row_marks`` so that no load or replay ever writes it.

A platform row is recognised by its id: the migrator derives every id it
writes (uuid5 of the email, the code, or the workspace's legacy id), the
platform draws random ones.
"""

import dataclasses
from collections.abc import Sequence
from typing import Final

import asyncpg

from migrator.load.store import ALIASES, Key
from migrator.mapping import MappedRow, TableSpec, row_id
from migrator.mapping.rows import oldest_per_row

# Collection → the natural key column a platform row is matched on.
NATURAL_KEYS: Final[dict[str, str]] = {"users": "email", "tiers": "code", "workspaces": "slug"}


@dataclasses.dataclass
class Claimed:
    rows: list[MappedRow]  # the rows to upsert, ids pointing at platform rows where merged
    merged: set[Key]
    # Records whose slug a platform row holds, already merged with another record.
    refused: list[tuple[MappedRow, str]]


def _platform(spec: TableSpec, found: asyncpg.Record) -> bool:
    legacy_id = found["legacy_id"]
    if spec.collection == "workspaces":
        return legacy_id is None or found["id"] != row_id("workspaces", legacy_id)
    return True  # users and tiers: the query keeps only ids the migrator did not derive


async def _platform_rows(
    connection: asyncpg.Connection, spec: TableSpec, rows: Sequence[MappedRow]
) -> list[asyncpg.Record]:
    column = NATURAL_KEYS[spec.collection]
    cast = "citext" if column == "email" else "text"
    if spec.collection in ALIASES:
        # By value only: the row id derives from it, so any other id is the platform's.
        return list(
            await connection.fetch(
                f"SELECT t.id, t.legacy_id, t.{column}::text AS key FROM {spec.table} t "
                f"JOIN unnest($1::{cast}[], $2::uuid[]) AS x(k, derived) "
                f"ON t.{column} = x.k WHERE t.id <> x.derived",
                [row.values[column] for row in rows],
                [row.id for row in rows],
            )
        )
    # Workspaces also by legacy id: the platform may have renamed a merged slug.
    # (A row found with another id may also be a migrated rival: see _platform.)
    batch = "unnest($1::text[], $2::text[], $3::uuid[]) AS x(k, l, derived)"
    return list(
        await connection.fetch(
            f"SELECT t.id, t.legacy_id, t.{column} AS key FROM {spec.table} t "
            f"JOIN {batch} ON t.{column} = x.k WHERE t.id <> x.derived "
            f"UNION SELECT t.id, t.legacy_id, NULL FROM {spec.table} t "
            f"JOIN {batch} ON t.legacy_id = x.l WHERE t.id <> x.derived",
            [row.values[column] for row in rows],
            [row.legacy_id for row in rows],
            [row.id for row in rows],
        )
    )


async def claim(connection: asyncpg.Connection, spec: TableSpec, rows: list[MappedRow]) -> Claimed:
    """Point every row whose natural key a platform row holds at that row, and
    have the platform row take the oldest such record's legacy id."""
    if spec.collection not in NATURAL_KEYS or not rows:
        return Claimed(rows, set(), [])
    found = [f for f in await _platform_rows(connection, spec, rows) if _platform(spec, f)]
    if not found:
        return Claimed(rows, set(), [])
    column = NATURAL_KEYS[spec.collection]
    by_legacy = {f["legacy_id"]: f for f in found if f["legacy_id"] is not None}
    by_key = {f["key"]: f for f in found if f["key"] is not None}
    out = Claimed([], set(), [])
    for row in rows:
        hit = by_legacy.get(row.legacy_id) or by_key.get(row.values[column])
        if hit is None:
            out.rows.append(row)
            continue
        if spec.collection == "workspaces" and hit["legacy_id"] not in (None, row.legacy_id):
            out.refused.append((row, merged_elsewhere(row.values[column], hit["legacy_id"])))
            continue
        out.rows.append(dataclasses.replace(row, id=hit["id"]))
        out.merged.add((row.collection, row.legacy_id))
    await _take_legacy_ids(
        connection, spec, [r for r in out.rows if (r.collection, r.legacy_id) in out.merged]
    )
    return out


def merged_elsewhere(slug: str, kept: str) -> str:
    return (
        f"slug {slug!r} belongs to a workspace created in the platform, "
        f"already merged with the legacy workspace {kept}"
    )


async def _take_legacy_ids(
    connection: asyncpg.Connection, spec: TableSpec, merged: list[MappedRow]
) -> None:
    """The platform rows take the legacy id of the oldest record merged into
    them (``createdAt``, then id, as between legacy records), and a NULL mark."""
    if not merged:
        return
    if spec.collection in ALIASES:
        # An older record (known by its alias) keeps the row it already holds.
        aliases = ALIASES[spec.collection][0]
        keeps = (
            f"t.legacy_id IS NULL OR NOT EXISTS (SELECT 1 FROM {aliases} a "
            "WHERE a.legacy_id = t.legacy_id AND (a.created_at, a.legacy_id) <= (x.c, x.l))"
        )
    else:
        keeps = "t.legacy_id IS NULL"
    # One per platform row: the rows point at it, so this is the oldest record.
    rows = oldest_per_row(merged)
    ids = [row.id for row in rows]
    await connection.execute(
        f"UPDATE {spec.table} t SET legacy_id = x.l "
        "FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS x(id, l, c) "
        f"WHERE t.id = x.id AND t.legacy_id IS DISTINCT FROM x.l AND ({keeps})",
        ids,
        [row.legacy_id for row in rows],
        [row.values["created_at"] for row in rows],
    )
    await connection.execute(
        "INSERT INTO migrator.row_marks AS m (collection, row_id, updated_at) "
        "SELECT $1, unnest($2::uuid[]), NULL "
        "ON CONFLICT (collection, row_id) DO UPDATE SET updated_at = NULL "
        "WHERE m.updated_at IS NOT NULL",
        spec.collection,
        ids,
    )
