"""Two records claiming one unique value (a workspace slug, a Stripe id, one
owner per workspace…): the oldest (``createdAt``, then legacy id) keeps it,
whatever order they arrive in.

Only consulted when an upsert is refused: the row's rivals are looked up by
each unique value of its table. An older newcomer evicts the rows holding its
values (reported as rejects naming it); their children go with them, reported
as waiting for the evicted parent, as they would have been had the newcomer
arrived first.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Final

import asyncpg

from migrator.load import marks, store
from migrator.mapping import TABLES, MappedRow, Ref, TableSpec
from migrator.mapping.rows import missing_parent

Reject = tuple[str, str, dict[str, Any] | None, str]

# What a row can be refused for: the row's own fault, so it is rejected (the
# server's constraint and data errors; the driver's encoding errors). Any other
# error (a deadlock, a lost connection) fails the whole batch instead.
REFUSALS: Final = (
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.DataError,
    OverflowError,
    ValueError,
    TypeError,
)

# Per collection: the unique values besides the id and the legacy id, as
# (columns, condition of a partial index with ``{}`` for the row's alias).
UNIQUE_VALUES: Final[dict[str, tuple[tuple[tuple[str, ...], str], ...]]] = {
    "workspaces": ((("slug",), ""),),
    "workspacemembers": (
        (("workspace_id", "user_id"), ""),
        (("workspace_id",), "{}.role = 'owner'"),
    ),
    "billingaccounts": ((("workspace_id",), ""), (("stripe_customer_id",), "")),
    "subscriptions": (
        (("stripe_subscription_id",), ""),
        (("workspace_id",), "{}.status <> 'canceled'"),
    ),
    "usagecounters": ((("workspace_id", "metric", "period"), ""),),
}


@dataclass(frozen=True)
class Holder:
    id: uuid.UUID
    legacy_id: str
    created_at: datetime
    value: str  # what the two claim, for the report


def claimed(value: str, kept: str, collection: str) -> str:
    """The reason the younger of two records claiming one value is rejected."""
    return f"{value} belongs to the older {collection} {kept} (oldest createdAt, then id)"


@cache
def _holders_sql(spec: TableSpec) -> str:
    selects = []
    for columns, condition in UNIQUE_VALUES[spec.collection]:
        on = " AND ".join(f"t.{c} = src.{c}" for c in columns)
        if condition:
            on += f" AND {condition.format('t')} AND {condition.format('src')}"
        described = " || ', ' || ".join(f"'{c} ' || quote_nullable(src.{c}::text)" for c in columns)
        selects.append(
            f"SELECT t.id, t.legacy_id, t.created_at, {described} AS value "
            # Only migrated rows are rivals: a row created in the new platform
            # (merged or not), or changed by it since, is never evicted (the
            # record is refused with the plain reason).
            f"FROM src JOIN {spec.table} t ON {on} AND t.id <> src.id "
            "AND t.legacy_id IS NOT NULL AND NOT " + marks.changed_by_platform("t", spec.collection)
        )
    return (
        f"WITH src AS ({store.source_sql(spec)}), emptied AS (DELETE FROM {store.stage_of(spec)}) "
        + " UNION ".join(selects)
    )


async def holders(
    connection: asyncpg.Connection, spec: TableSpec, staged: tuple[Any, ...]
) -> list[Holder]:
    """The rows holding one of the unique values of ``staged`` (a stage tuple)."""
    if spec.collection not in UNIQUE_VALUES:
        return []
    await connection.copy_records_to_table(
        store.stage_of(spec), records=[staged], columns=list(spec.column_names)
    )
    rows = await connection.fetch(_holders_sql(spec))
    found = [Holder(r["id"], r["legacy_id"], r["created_at"], r["value"]) for r in rows]
    return sorted(found, key=lambda h: (h.created_at, h.legacy_id))


async def evict(
    connection: asyncpg.Connection, spec: TableSpec, holder: Holder, winner: MappedRow
) -> list[Reject]:
    """Delete ``holder`` (and, by cascade, its children); returns the rejects
    that say so."""
    rejects: list[Reject] = [
        (
            spec.collection,
            holder.legacy_id,
            None,
            claimed(holder.value, winner.legacy_id, spec.collection),
        )
    ]
    for child, child_spec in TABLES.items():
        for column, parent in child_spec.references:
            if parent != spec.collection:
                continue
            rows = await connection.fetch(
                f"SELECT legacy_id FROM {child_spec.table} "
                f"WHERE {column} = $1 AND legacy_id IS NOT NULL",
                holder.id,
            )
            reason = missing_parent(column, Ref(spec.collection, holder.legacy_id))
            rejects.extend((child, r["legacy_id"], None, reason) for r in rows)
            # Explicitly, not by cascade: the usage tables belong to another
            # process and hold no foreign key to core-api's tables.
            await connection.execute(
                f"DELETE FROM {child_spec.table} WHERE {column} = $1", holder.id
            )
    await connection.execute(f"DELETE FROM {spec.table} WHERE id = $1", holder.id)
    return rejects


async def contest(
    connection: asyncpg.Connection,
    spec: TableSpec,
    row: MappedRow,
    values: tuple[Any, ...],
    changed: set[store.Key],
    kept: set[store.Key],
) -> tuple[dict[str, str] | str | None, list[Reject]]:
    """A unique value of ``row`` is taken: the oldest claimant keeps it. Returns
    what the upsert returns once ``row`` has evicted younger holders (and the
    rejects that say so), or the reason it is rejected (None: no rival found,
    the plain refusal applies)."""
    rivals = await holders(connection, spec, values)
    if not rivals:
        return None, []
    oldest = rivals[0]
    if (oldest.created_at, oldest.legacy_id) < (row.values["created_at"], row.legacy_id):
        return claimed(oldest.value, oldest.legacy_id, spec.collection), []
    rejects: list[Reject] = []
    try:
        async with connection.transaction():
            for rival in rivals:
                rejects += await evict(connection, spec, rival, row)
            missing = await store.upsert_rows(connection, spec, [values], changed, kept)
    except REFUSALS:
        return None, []
    return missing, rejects
