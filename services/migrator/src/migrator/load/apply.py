"""Applying one batch of legacy records to the core tables, in one transaction.

Records are mapped, then written collection by collection in dependency order,
so parents that arrive in the same batch are there for their children. A
record whose parent is not there yet is parked in ``migrator.pending`` with
the parent it waits for, and retried in the batch that writes that parent; a
record that cannot be mapped, or that a constraint refuses, goes to
``core.migration_rejects`` with the reason. No single record can fail the batch.
"""

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import asyncpg

from migrator.load import store
from migrator.load.store import Key
from migrator.mapping import TABLES, MappedRow, Ref, TableSpec, Unmappable, map_record
from migrator.mapping.rows import missing_parent
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER, LegacyCollection

# What a row can be refused for: the row's own fault, so it is rejected (the
# server's constraint and data errors; the driver's encoding errors). Any other
# error (a deadlock, a lost connection) fails the whole batch instead.
_REFUSALS: Final = (
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.DataError,
    OverflowError,
    ValueError,
    TypeError,
)


@dataclass(frozen=True)
class Incoming:
    collection: LegacyCollection
    legacy_id: str
    document: dict[str, Any]
    # Mapped ahead, while the previous batch was being written (or the reason not).
    mapped: MappedRow | str | None = None

    @staticmethod
    def read(collection: LegacyCollection, legacy_id: str, document: dict[str, Any]) -> "Incoming":
        return Incoming(collection, legacy_id, document, _map(collection, legacy_id, document))


@dataclass
class BatchOutcome:
    migrated: Counter[str] = field(default_factory=Counter)
    waiting: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    normalised: Counter[str] = field(default_factory=Counter)

    def add(self, other: "BatchOutcome") -> None:
        self.migrated.update(other.migrated)
        self.waiting.update(other.waiting)
        self.rejected.update(other.rejected)
        self.normalised.update(other.normalised)


@dataclass
class _Work:
    documents: dict[Key, dict[str, Any]]
    waiting: list[store.Waiting] = field(default_factory=list)
    rejects: list[tuple[str, str, dict[str, Any] | None, str]] = field(default_factory=list)
    migrated: list[Key] = field(default_factory=list)


async def apply_batch(
    connection: asyncpg.Connection,
    records: Iterable[Incoming],
    *,
    topic: str | None = None,
    offsets: dict[int, int] | None = None,
) -> BatchOutcome:
    """Upsert ``records`` (plus every record still waiting for a parent) and,
    in the same transaction, the consumer offsets they were read up to."""
    async with connection.transaction():
        await connection.execute("SET LOCAL sendfx.keep_updated_at = 'on'")
        documents: dict[Key, dict[str, Any]] = {}
        premapped: dict[Key, MappedRow | str | None] = {}
        for record in records:  # later versions of a record replace earlier ones
            documents[(record.collection, record.legacy_id)] = record.document
            premapped[(record.collection, record.legacy_id)] = record.mapped
        arrived = set(documents)
        work = _Work(documents)
        outcome = BatchOutcome()
        for collection in LEGACY_COLLECTIONS_IN_ORDER:
            spec = TABLES[collection]
            keys = [k for k in documents if k[0] == collection]  # in arrival order
            # A waiting record can only resolve once its parent is written, and
            # parents are written before children: retry exactly the records
            # waiting for a parent written so far in this batch.
            written_parents = [k for k in work.migrated if k[0] in spec.parents]
            for legacy_id, document in await store.read_pending(
                connection, collection, written_parents
            ):
                if (collection, legacy_id) not in documents:
                    documents[(collection, legacy_id)] = document
                    keys.append((collection, legacy_id))
            rows: list[MappedRow] = []
            for key in keys:
                row = premapped.get(key) or _map(collection, key[1], documents[key])
                if isinstance(row, str):
                    work.rejects.append((collection, key[1], documents[key], row))
                    continue
                rows.append(row)
                if row.notes and key in arrived:
                    outcome.normalised[collection] += 1
            await _write_collection(connection, spec, rows, work)
        await store.park(connection, work.waiting)
        await store.reject(connection, work.rejects)
        await store.settle(connection, work.migrated, rejected=False)
        await store.settle(connection, [(r[0], r[1]) for r in work.rejects], rejected=True)
        if topic is not None and offsets:
            await store.save_offsets(connection, topic, offsets)
        outcome.migrated.update(key[0] for key in work.migrated)
        outcome.waiting.update(waiting.collection for waiting in work.waiting)
        outcome.rejected.update(reject[0] for reject in work.rejects)
        return outcome


def _map(collection: LegacyCollection, legacy_id: str, document: dict[str, Any]) -> MappedRow | str:
    try:
        return map_record(collection, legacy_id, document)
    except Unmappable as exc:
        return str(exc)


async def _resolve(
    connection: asyncpg.Connection, rows: list[MappedRow]
) -> tuple[list[tuple[MappedRow, dict[str, uuid.UUID | None]]], list[tuple[MappedRow, str, Ref]]]:
    """Parent row ids of each row, or the first parent that is missing."""
    # Looked up by legacy id (text): hashing and joining thousands of uuid
    # objects cost more than the round trips themselves.
    wanted: dict[LegacyCollection, set[str]] = {}
    for row in rows:
        for ref in row.refs.values():
            if ref is not None:
                wanted.setdefault(ref.collection, set()).add(ref.legacy_id)
    present: dict[LegacyCollection, dict[str, uuid.UUID]] = {}
    for parent, legacy_ids in wanted.items():
        if parent == "users":  # through the aliases: merged accounts resolve to the survivor
            present[parent] = await store.user_ids_of(connection, legacy_ids)
        else:
            present[parent] = await store.ids_of(connection, TABLES[parent].table, legacy_ids)
    ready: list[tuple[MappedRow, dict[str, uuid.UUID | None]]] = []
    waiting: list[tuple[MappedRow, str, Ref]] = []
    for row in rows:
        resolved: dict[str, uuid.UUID | None] = {}
        missing: tuple[str, Ref] | None = None
        for column, ref in row.refs.items():
            if ref is None:
                resolved[column] = None
                continue
            target = present[ref.collection].get(ref.legacy_id)
            if target is None:
                missing = (column, ref)
                break
            resolved[column] = target
        if missing is None:
            ready.append((row, resolved))
        else:
            waiting.append((row, *missing))
    return ready, waiting


async def _write_collection(
    connection: asyncpg.Connection, spec: TableSpec, rows: list[MappedRow], work: _Work
) -> None:
    if not rows:
        return
    ready, waiting = await _resolve(connection, rows)
    for row, column, ref in waiting:
        work.waiting.append(
            store.Waiting(
                row.collection,
                row.legacy_id,
                work.documents[_key(row)],
                missing_parent(column, ref),
                (ref.collection, ref.legacy_id),
            )
        )
    if spec.collection == "users":
        ready = _oldest_per_user(ready)
    written = await _upsert(connection, spec, ready, work)
    if spec.collection == "users":
        await store.upsert_aliases(
            connection,
            [
                (row.legacy_id, row.id, row.values["email"], row.values["created_at"])
                for row in rows
                if row.id in written
            ],
        )
        work.migrated.extend(_key(row) for row in rows if row.id in written)
    else:
        work.migrated.extend(_key(row) for row, _ in ready if row.id in written)


def _oldest_per_user(
    ready: list[tuple[MappedRow, dict[str, uuid.UUID | None]]],
) -> list[tuple[MappedRow, dict[str, uuid.UUID | None]]]:
    """One candidate per row id (an upsert may touch a row once): the oldest account."""
    best: dict[uuid.UUID, tuple[MappedRow, dict[str, uuid.UUID | None]]] = {}
    for item in ready:
        row = item[0]
        seen = best.get(row.id)
        if seen is None or (row.values["created_at"], row.legacy_id) < (
            seen[0].values["created_at"],
            seen[0].legacy_id,
        ):
            best[row.id] = item
    return list(best.values())


async def _upsert(
    connection: asyncpg.Connection,
    spec: TableSpec,
    ready: list[tuple[MappedRow, dict[str, uuid.UUID | None]]],
    work: _Work,
) -> set[uuid.UUID]:
    """Upsert the whole batch at once; when a constraint refuses it, find the
    offending rows one by one and reject only those."""
    if not ready:
        return set()
    tuples = [spec.row_tuple(row, resolved) for row, resolved in ready]
    try:
        async with connection.transaction():
            await store.upsert_rows(connection, spec, tuples)
        return {row.id for row, _ in ready}
    except _REFUSALS:
        pass
    written: set[uuid.UUID] = set()
    # Oldest first: of two records claiming one unique value, the older keeps it,
    # whatever order they arrived in.
    pairs = sorted(
        zip(ready, tuples, strict=True),
        key=lambda pair: (pair[0][0].values["created_at"], pair[0][0].legacy_id),
    )
    for (row, _), values in pairs:
        try:
            async with connection.transaction():
                await store.upsert_rows(connection, spec, [values])
            written.add(row.id)
        except _REFUSALS as exc:
            reason = f"refused by {spec.table}: {exc.__class__.__name__}: {exc}"
            work.rejects.append((row.collection, row.legacy_id, work.documents[_key(row)], reason))
    return written


def _key(row: MappedRow) -> Key:
    return (row.collection, row.legacy_id)
