"""The SQL of the load side: batched upserts, parents, pending, rejects.

Every statement takes whole batches (COPY, arrays, joined keys), so a batch of
thousands of records costs a handful of round trips.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import asyncpg

from migrator.load import aliases, marks
from migrator.mapping import TABLES, TableSpec

Key = tuple[str, str]
# Collections whose rows are identified by a value (email, code) rather than
# the legacy id: every legacy id → the row, in (table, row id column).
ALIASES: Final[dict[str, tuple[str, str]]] = {
    "users": ("migrator.user_aliases", "user_id"),
    "tiers": ("migrator.tier_aliases", "tier_id"),
}


@dataclass(frozen=True)
class Waiting:
    collection: str
    legacy_id: str
    document: dict[str, Any]
    reason: str
    parent: Key


def _joined(values: Iterable[str]) -> str:
    """Many keys as one parameter (``string_to_array($n, ',')`` in SQL): the
    driver encodes one string far faster than an array of thousands of items.
    Keys here are collection names, hex ids and uuids: never a comma."""
    return ",".join(values)


def stage_of(spec: TableSpec) -> str:
    return f"migrator_stage_{spec.table.split('.')[-1]}"


async def prepare_staging(connection: asyncpg.Connection) -> None:
    """Session-local tables each batch is COPYed into before the upsert: the
    binary COPY path is several times cheaper per row than array parameters."""
    for spec in TABLES.values():
        # Reference columns carry the parent's legacy id: the upsert resolves it.
        references = dict(spec.references)
        columns = ", ".join(
            f"{name} {'text' if name in references else pg_type}" for name, pg_type in spec.columns
        )
        await connection.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage_of(spec)} ({columns}) ON COMMIT DELETE ROWS"
        )
    await aliases.prepare_staging(connection)


@cache
def upsert_sql(spec: TableSpec) -> str:
    names = spec.column_names
    columns = ", ".join(names)
    updatable = [n for n in names if n != "id"]
    assignments = ", ".join(f"{n} = EXCLUDED.{n}" for n in updatable)
    current = ", ".join(f"t.{n}" for n in updatable)
    incoming = ", ".join(f"EXCLUDED.{n}" for n in updatable)
    collection = spec.collection
    # Untouched rows stay untouched: a replay writes nothing, and the bytes
    # stay; neither is a row the platform changed since (it is kept, reported).
    platform = marks.changed_by_platform("t", collection)
    guard = f"({current}) IS DISTINCT FROM ({incoming}) AND NOT {platform}"
    if collection in ALIASES:
        # Records merged by email (users) or code (tiers) share the row; the
        # oldest record's fields win, whatever order they arrive in.
        guard += " AND (EXCLUDED.created_at, EXCLUDED.legacy_id) <= (t.created_at, t.legacy_id)"
    stage = stage_of(spec)
    source = (
        source_sql(spec) if spec.references else f"SELECT *, NULL::text AS missing FROM {stage}"
    )
    # The rows written come back (by the legacy id each row holds now), so the
    # summary can tell applied records from already applied ones; each one's
    # updated_at becomes its mark. Rows whose parent is not there are not
    # written: the statement returns them, with the first missing reference
    # column.
    return (
        f"WITH src AS ({source}), "
        f"written AS (INSERT INTO {spec.table} AS t ({columns}) "
        f"SELECT {columns} FROM src WHERE missing IS NULL "
        f"ON CONFLICT (id) DO UPDATE SET {assignments} WHERE {guard} "
        "RETURNING t.id, t.legacy_id, t.updated_at), "
        "marked AS (INSERT INTO migrator.row_marks AS m (collection, row_id, updated_at) "
        f"SELECT '{collection}', id, updated_at FROM written "
        "ON CONFLICT (collection, row_id) DO UPDATE SET updated_at = EXCLUDED.updated_at "
        "WHERE m.updated_at IS DISTINCT FROM EXCLUDED.updated_at), "
        f"emptied AS (DELETE FROM {stage}) "
        "SELECT legacy_id, missing FROM src WHERE missing IS NOT NULL "
        "UNION ALL SELECT legacy_id, NULL FROM written"
    )


@cache
def source_sql(spec: TableSpec) -> str:
    """The staged rows with their parents resolved (by legacy id; users and
    tiers through their aliases, so a merged record resolves to the surviving
    row), and ``missing``: the first reference column whose parent is not there."""
    names = spec.column_names
    stage = stage_of(spec)
    joins: list[str] = []
    picked: list[str] = []
    for index, (column, parent) in enumerate(spec.references):
        alias = f"p{index}"
        if parent in ALIASES:
            aliases, target = ALIASES[parent]
            joins.append(f"LEFT JOIN {aliases} {alias} ON {alias}.legacy_id = s.{column}")
            picked.append(f"{alias}.{target} AS {column}")
        else:
            parent_table = TABLES[parent].table
            joins.append(f"LEFT JOIN {parent_table} {alias} ON {alias}.legacy_id = s.{column}")
            picked.append(f"{alias}.id AS {column}")
    references = dict(spec.references)
    plain = [f"s.{n}" for n in names if n not in references]
    missing = " ".join(
        f"WHEN s.{column} IS NOT NULL AND p{i}.{ALIASES[parent][1] if parent in ALIASES else 'id'} "
        f"IS NULL THEN '{column}'"
        for i, (column, parent) in enumerate(spec.references)
    )
    return (
        f"SELECT {', '.join(plain + picked)}, CASE {missing} END AS missing "
        f"FROM {stage} s {' '.join(joins)}"
    )


async def upsert_rows(
    connection: asyncpg.Connection,
    spec: TableSpec,
    rows: Sequence[tuple[Any, ...]],
    changed: set[Key],
    kept: set[Key],
) -> dict[str, str]:
    """Upsert ``rows`` (reference columns holding the parents' legacy ids);
    returns the legacy id → first reference column whose parent is missing of
    the rows not written for that reason, adds the keys of the rows it wrote
    (new or changed) to ``changed`` and of the rows the platform changed since
    they were migrated (left as they are) to ``kept``. Needs
    :func:`prepare_staging` first."""
    if not rows:
        return {}
    await connection.copy_records_to_table(
        stage_of(spec), records=rows, columns=list(spec.column_names)
    )
    missing: dict[str, str] = {}
    written: set[str] = set()
    for r in await connection.fetch(upsert_sql(spec)):
        if r["missing"] is None:
            changed.add((spec.collection, r["legacy_id"]))
            written.add(r["legacy_id"])
        else:
            missing[r["legacy_id"]] = r["missing"]
    # The rest were there, identical or guarded: which the platform changed
    # is asked only then (a replay), so a first load pays nothing for it.
    unwritten = [row[:2] for row in rows if row[1] not in written and row[1] not in missing]
    kept.update(
        (spec.collection, legacy_id) for legacy_id in await marks.kept(connection, spec, unwritten)
    )
    return missing


async def read_pending(
    connection: asyncpg.Connection, collection: str, parents: Sequence[Key]
) -> list[tuple[str, dict[str, Any]]]:
    """The records of ``collection`` waiting for one of ``parents`` (or for an
    unrecorded parent)."""
    if not parents:
        return []
    rows = await connection.fetch(
        """
        SELECT p.legacy_id, p.document::text AS document
        FROM migrator.pending p
        WHERE p.collection = $1
          AND (p.waits_for_collection IS NULL
               OR (p.waits_for_collection, p.waits_for_legacy_id) IN (
                   SELECT split_part(k, ':', 1), split_part(k, ':', 2)
                   FROM unnest(string_to_array($2, ',')) AS k))
        """,
        collection,
        _joined(f"{c}:{legacy_id}" for c, legacy_id in parents),
    )
    return [(r["legacy_id"], json.loads(r["document"])) for r in rows]


async def park(connection: asyncpg.Connection, waiting: Sequence[Waiting]) -> None:
    if not waiting:
        return
    await connection.execute(
        """
        INSERT INTO migrator.pending AS p
            (collection, legacy_id, document, reason, waits_for_collection, waits_for_legacy_id)
        SELECT c, l, d::jsonb, r, wc, wl
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
            AS x(c, l, d, r, wc, wl)
        ON CONFLICT (collection, legacy_id) DO UPDATE
            SET document = EXCLUDED.document, reason = EXCLUDED.reason,
                waits_for_collection = EXCLUDED.waits_for_collection,
                waits_for_legacy_id = EXCLUDED.waits_for_legacy_id
            WHERE (p.document, p.reason, p.waits_for_collection, p.waits_for_legacy_id)
                IS DISTINCT FROM (EXCLUDED.document, EXCLUDED.reason,
                                  EXCLUDED.waits_for_collection, EXCLUDED.waits_for_legacy_id)
        """,
        [w.collection for w in waiting],
        [w.legacy_id for w in waiting],
        [json.dumps(w.document) for w in waiting],
        [w.reason for w in waiting],
        [w.parent[0] for w in waiting],
        [w.parent[1] for w in waiting],
    )


async def reject(
    connection: asyncpg.Connection, rejects: Sequence[tuple[str, str, dict[str, Any] | None, str]]
) -> None:
    if not rejects:
        return
    await connection.execute(
        """
        INSERT INTO migrator.migration_rejects AS r (collection, legacy_id, document, reason)
        SELECT c, l, d::jsonb, x.r FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
            AS x(c, l, d, r)
        ON CONFLICT (collection, legacy_id) DO UPDATE
            SET document = EXCLUDED.document, reason = EXCLUDED.reason
            WHERE (r.document, r.reason) IS DISTINCT FROM (EXCLUDED.document, EXCLUDED.reason)
        """,
        [x[0] for x in rejects],
        [x[1] for x in rejects],
        [None if x[2] is None else json.dumps(x[2]) for x in rejects],
        [x[3] for x in rejects],
    )


async def settle(connection: asyncpg.Connection, keys: Sequence[Key], *, rejected: bool) -> None:
    """Records now migrated (or now rejected for good) stop waiting; migrated
    ones also leave the rejects table, where an earlier version may have been."""
    if not keys:
        return
    joined = _joined(f"{c}:{legacy_id}" for c, legacy_id in keys)
    for table in (
        ("migrator.pending",) if rejected else ("migrator.pending", "migrator.migration_rejects")
    ):
        await connection.execute(
            f"""
            DELETE FROM {table} t USING (
                SELECT split_part(k, ':', 1) AS c, split_part(k, ':', 2) AS l
                FROM unnest(string_to_array($1, ',')) AS k) x
            WHERE t.collection = x.c AND t.legacy_id = x.l
            """,
            joined,
        )


async def reject_pending(connection: asyncpg.Connection, older_than_seconds: float = 0) -> int:
    """Report every record still waiting for its parent as rejected. It stays
    pending too, so it is migrated after all if the parent turns up later."""
    result = await connection.execute(
        """
        INSERT INTO migrator.migration_rejects AS r (collection, legacy_id, document, reason)
        SELECT collection, legacy_id, document, reason FROM migrator.pending
        WHERE first_seen_at <= now() - make_interval(secs => $1)
        ON CONFLICT (collection, legacy_id) DO UPDATE
            SET document = EXCLUDED.document, reason = EXCLUDED.reason
            WHERE (r.document, r.reason) IS DISTINCT FROM (EXCLUDED.document, EXCLUDED.reason)
        """,
        older_than_seconds,
    )
    return int(result.split()[-1])


def spec_of(collection: str) -> TableSpec:
    return TABLES[collection]  # type: ignore[index]
