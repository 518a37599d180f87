"""Applying one batch of legacy records to the core tables, in one transaction.

Records are mapped, then written collection by collection in dependency order,
so parents that arrive in the same batch are there for their children. A
record whose parent is not there yet is parked in ``migrator.pending`` with
the parent it waits for, and retried in the batch that writes that parent; a
record that cannot be mapped, or that a constraint refuses, goes to
``migrator.migration_rejects`` with the reason. No single record can fail the batch.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from migrator.load import aliases, contested, platform, position, store
from migrator.load.contested import REFUSALS
from migrator.load.position import LastApplied
from migrator.load.store import Key
from migrator.load.tally import BatchOutcome, Fate, Seen
from migrator.mapping import TABLES, MappedRow, TableSpec, Unmappable, map_record
from migrator.mapping.rows import merged_tier, missing_parent, oldest_per_row
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER, LegacyCollection


@dataclass(slots=True)  # not frozen: its __init__ is per record, and about 3x slower
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
class _Work:
    documents: dict[Key, dict[str, Any]]
    waiting: list[store.Waiting] = field(default_factory=list)
    rejects: list[tuple[str, str, dict[str, Any] | None, str]] = field(default_factory=list)
    migrated: list[Key] = field(default_factory=list)
    # For the summary's accounting (see tally.Seen).
    changed: set[Key] = field(default_factory=set)
    held_by_other: set[Key] = field(default_factory=set)
    merged: set[Key] = field(default_factory=set)
    kept: set[Key] = field(default_factory=set)  # rows the platform changed since
    displaced: dict[Key, Fate] = field(default_factory=dict)  # by an older rival


async def apply_batch(
    connection: asyncpg.Connection,
    records: Sequence[Incoming],
    *,
    topic: str | None = None,
    positions: Mapping[int, LastApplied] | None = None,
) -> BatchOutcome:
    """Upsert ``records`` (plus every record still waiting for a parent) and,
    in the same transaction, the position they were read up to."""
    async with connection.transaction():
        await connection.execute("SET LOCAL sendfx.keep_updated_at = 'on'")
        documents: dict[Key, dict[str, Any]] = {}
        premapped: dict[Key, MappedRow | str | None] = {}
        for record in records:  # later versions of a record replace earlier ones
            documents[(record.collection, record.legacy_id)] = record.document
            premapped[(record.collection, record.legacy_id)] = record.mapped
        arrived = set(documents)
        by_collection: dict[str, list[Key]] = {}
        for key in documents:  # in arrival order
            by_collection.setdefault(key[0], []).append(key)
        work = _Work(documents)
        outcome = BatchOutcome()
        for collection in LEGACY_COLLECTIONS_IN_ORDER:
            spec = TABLES[collection]
            keys = by_collection.get(collection, [])
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
        if topic is not None and positions:
            await position.save(connection, topic, positions)
        outcome.migrated.update(key[0] for key in work.migrated)
        outcome.waiting.update(waiting.collection for waiting in work.waiting)
        outcome.rejected.update(reject[0] for reject in work.rejects)
        seen = Seen(
            set(work.migrated),
            work.changed,
            work.held_by_other,
            work.merged,
            work.kept,
            {(r[0], r[1]) for r in work.rejects},
            {(w.collection, w.legacy_id) for w in work.waiting},
        )
        outcome.superseded = len(records) - len(arrived)
        for key in documents:
            (outcome.arrived if key in arrived else outcome.retried)[key] = seen.fate(key)
        outcome.displaced = {k: f for k, f in work.displaced.items() if k not in documents}
        return outcome


def _map(collection: LegacyCollection, legacy_id: str, document: dict[str, Any]) -> MappedRow | str:
    try:
        return map_record(collection, legacy_id, document)
    except Unmappable as exc:
        return str(exc)


async def _write_collection(
    connection: asyncpg.Connection, spec: TableSpec, rows: list[MappedRow], work: _Work
) -> None:
    if not rows:
        return
    claimed = await platform.claim(connection, spec, rows)
    rows, work.merged = claimed.rows, work.merged | claimed.merged
    work.rejects += [
        (r.collection, r.legacy_id, work.documents[_key(r)], why) for r, why in claimed.refused
    ]
    candidates = oldest_per_row(rows) if spec.collection in store.ALIASES else rows
    written, waiting = await _upsert(connection, spec, candidates, work)
    for row, column in waiting:
        ref = row.refs[column]
        assert ref is not None, "only a present reference can be missing"
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
        # Every account of a written row, merged ones included, is migrated.
        await aliases.upsert_aliases(
            connection,
            [
                (row.legacy_id, row.id, row.values["email"], row.values["created_at"])
                for row in rows
                if row.id in written
            ],
        )
        work.migrated.extend(_key(row) for row in rows if row.id in written)
        # An account whose row was not written is merged when an older one holds it.
        untouched = [row for row in rows if row.id in written and _key(row) not in work.changed]
        if untouched:
            holders = await aliases.user_holders(connection, [row.id for row in untouched])
            work.held_by_other.update(
                _key(row) for row in untouched if holders.get(row.id) != row.legacy_id
            )
    elif spec.collection == "tiers":
        await _settle_tiers(connection, rows, written, work)
    else:
        work.migrated.extend(_key(row) for row in candidates if row.id in written)


async def _settle_tiers(
    connection: asyncpg.Connection, rows: list[MappedRow], written: set[uuid.UUID], work: _Work
) -> None:
    """Tiers coded alike share one row, the oldest one's: that one is migrated,
    the others are rejected naming it (their references resolve to its row).
    A holder from an earlier batch that an older tier displaces becomes a
    reject here too, so the outcome does not depend on the arrival order."""
    await aliases.upsert_tier_aliases(
        connection,
        [
            (
                row.legacy_id,
                row.id,
                row.values["code"],
                row.values["created_at"],
                work.documents[_key(row)],
            )
            for row in rows
            if row.id in written
        ],
    )
    arrived = {row.legacy_id for row in rows}
    for alias in await aliases.tier_holders(connection, sorted(written)):
        if alias.legacy_id == alias.kept:
            if alias.legacy_id in arrived:
                work.migrated.append(("tiers", alias.legacy_id))
            continue
        reason = merged_tier(alias.code, alias.kept)
        if alias.legacy_id in arrived or alias.reported != reason:
            work.rejects.append(("tiers", alias.legacy_id, alias.document, reason))
            work.merged.add(("tiers", alias.legacy_id))
            work.displaced[("tiers", alias.legacy_id)] = "merged"


def _staged(spec: TableSpec, row: MappedRow) -> tuple[Any, ...]:
    """The stage's tuple: references carry the parent's legacy id, which the
    upsert resolves to a row id (or finds missing)."""
    refs = {column: None if ref is None else ref.legacy_id for column, ref in row.refs.items()}
    return spec.row_tuple(row, refs)


async def _upsert(
    connection: asyncpg.Connection, spec: TableSpec, rows: list[MappedRow], work: _Work
) -> tuple[set[uuid.UUID], list[tuple[MappedRow, str]]]:
    """Upsert the whole batch at once; when a constraint refuses it, find the
    offending rows one by one and reject only those. Returns the ids written
    and the rows that wait for a parent (with the reference column missing)."""
    if not rows:
        return set(), []
    tuples = [_staged(spec, row) for row in rows]
    try:
        async with connection.transaction():
            missing = await store.upsert_rows(connection, spec, tuples, work.changed, work.kept)
        waiting = [(row, missing[row.legacy_id]) for row in rows if row.legacy_id in missing]
        return {row.id for row in rows if row.legacy_id not in missing}, waiting
    except REFUSALS:
        pass
    written: set[uuid.UUID] = set()
    waiting = []
    # Oldest first: of two records claiming one unique value, the older keeps it,
    # whatever order they arrived in.
    pairs = sorted(
        zip(rows, tuples, strict=True),
        key=lambda pair: (pair[0].values["created_at"], pair[0].legacy_id),
    )
    for row, values in pairs:
        try:
            async with connection.transaction():
                missing = await store.upsert_rows(
                    connection, spec, [values], work.changed, work.kept
                )
        except REFUSALS as exc:
            contest = None
            if isinstance(exc, asyncpg.UniqueViolationError):
                contest, evicted = await contested.contest(
                    connection, spec, row, values, work.changed, work.kept
                )
                work.rejects.extend(evicted)
                work.displaced.update(((r[0], r[1]), "rejected") for r in evicted)
            if not isinstance(contest, dict):
                reason = contest or f"refused by {spec.table}: {exc.__class__.__name__}: {exc}"
                work.rejects.append(
                    (row.collection, row.legacy_id, work.documents[_key(row)], reason)
                )
                continue
            missing = contest
        if row.legacy_id in missing:
            waiting.append((row, missing[row.legacy_id]))
        else:
            written.add(row.id)
    return written, waiting


def _key(row: MappedRow) -> Key:
    return (row.collection, row.legacy_id)
