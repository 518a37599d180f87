"""``migrator verify``: every legacy collection against its table.

Counts, then a checksum of every record's fields after mapping, compared with
the row that carries its legacy id. Drift is reported as missing rows (a
migratable record with no row and no reject), extra rows (a row whose legacy
record is gone or should have been rejected), differing rows (with the
fields that differ) and unreported rejects (a record that cannot be migrated
but is not in ``migrator.migration_rejects``). Rows that are the platform's
(changed by it after they were migrated, or created in it and merged into:
see ``migrator.row_marks``) are listed as kept, apart from drift: load and
replay leave them as they are on purpose.
"""

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bson import json_util
from pymongo import AsyncMongoClient

from migrator.expected import expected_rows
from migrator.extract.records import NotAnObjectId, legacy_id_of
from migrator.load.platform import NATURAL_KEYS
from migrator.mapping import TABLES, TableSpec, row_id
from migrator.mapping.rows import tier_id_for_code, user_id_for_email
from migrator.settings import OperatorSettings
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER, LegacyCollection
from sendfx_shared.mongo import client_options
from sendfx_shared.postgres import connect


@dataclass
class CollectionDrift:
    collection: str
    legacy: int = 0
    expected: int = 0
    table: int = 0
    rejected: int = 0
    merged: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    # legacy id → names of the fields that differ
    differing: dict[str, list[str]] = field(default_factory=dict)
    unreported: list[str] = field(default_factory=list)
    # Rows load and replay leave alone (the platform's now): not drift.
    kept: list[str] = field(default_factory=list)
    # Documents whose _id is no ObjectId: extract reports them to the DLQ.
    invalid_ids: list[str] = field(default_factory=list)

    @property
    def drift(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.differing) + len(self.unreported)


@dataclass
class DriftReport:
    collections: list[CollectionDrift]

    @property
    def has_drift(self) -> bool:
        return any(c.drift for c in self.collections)


def checksum(values: Sequence[Any]) -> str:
    """A checksum of a row's fields, the same whichever side they were read from."""
    canonical = json.dumps([_canonical(v) for v in values], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)  # uuid, Decimal (scale fixed by the column and the mapping alike)


@dataclass
class LegacyData:
    # collection → [(legacy id, extended-JSON document)]
    documents: dict[str, list[tuple[str, dict[str, Any]]]]
    # collection → ids that are no ObjectId (extract sends those to the DLQ)
    invalid_ids: dict[str, list[str]]


async def read_legacy(
    settings: OperatorSettings, collections: Sequence[LegacyCollection]
) -> LegacyData:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.legacy_url,
        tz_aware=True,
        **client_options(settings, "migrator-verify", settings.legacy_url),
    )
    out = LegacyData({}, {})
    try:
        database = client[settings.legacy_database]
        for collection in collections:
            docs: list[tuple[str, dict[str, Any]]] = []
            invalid: list[str] = []
            async for doc in database[collection].find({}).sort("_id", 1):
                try:
                    legacy_id = legacy_id_of(doc)
                except NotAnObjectId:
                    invalid.append(repr(doc.get("_id")))
                    continue
                as_json = json.loads(
                    json_util.dumps(doc, json_options=json_util.RELAXED_JSON_OPTIONS)
                )
                docs.append((legacy_id, as_json))
            out.documents[collection] = docs
            out.invalid_ids[collection] = invalid
    finally:
        await client.close()
    return out


async def _table_rows(connection: Any, spec: TableSpec) -> dict[str, tuple[Any, ...]]:
    columns = ", ".join(f"{name}::text" if name == "email" else name for name in spec.column_names)
    rows = await connection.fetch(f"SELECT {columns} FROM {spec.table} WHERE legacy_id IS NOT NULL")
    return {row["legacy_id"]: tuple(row) for row in rows}


async def _kept(connection: Any, spec: TableSpec) -> set[str]:
    rows = await connection.fetch(
        f"SELECT t.legacy_id FROM {spec.table} t JOIN migrator.row_marks m "
        "ON m.collection = $1 AND m.row_id = t.id "
        "WHERE t.legacy_id IS NOT NULL AND m.updated_at IS DISTINCT FROM t.updated_at",
        spec.collection,
    )
    return {r["legacy_id"] for r in rows}


async def _platform_ids(connection: Any) -> dict[Any, Any]:
    """The id the mapping derives → the id of the platform row a record was
    merged into (a NULL mark), so expected rows and references compare."""
    remap: dict[Any, Any] = {}
    derivations: tuple[tuple[LegacyCollection, Callable[[Any], uuid.UUID]], ...] = (
        ("users", lambda r: user_id_for_email(r["key"].lower())),
        ("tiers", lambda r: tier_id_for_code(r["key"])),
        ("workspaces", lambda r: row_id("workspaces", r["legacy_id"])),
    )
    for collection, derive in derivations:
        spec = TABLES[collection]
        key = NATURAL_KEYS[collection]
        for r in await connection.fetch(
            f"SELECT t.id, t.legacy_id, t.{key}::text AS key FROM {spec.table} t "
            "JOIN migrator.row_marks m ON m.collection = $1 AND m.row_id = t.id "
            "WHERE m.updated_at IS NULL AND t.legacy_id IS NOT NULL",
            collection,
        ):
            remap[derive(r)] = r["id"]
    return remap


async def run_verify(
    settings: OperatorSettings, collections: Sequence[LegacyCollection] | None = None
) -> DriftReport:
    wanted = [c for c in LEGACY_COLLECTIONS_IN_ORDER if collections is None or c in collections]
    # Parents are always read: whether a child resolves depends on them.
    legacy = await read_legacy(settings, LEGACY_COLLECTIONS_IN_ORDER)
    expected = expected_rows(legacy.documents)
    connection = await connect(settings.postgres_url, application_name="migrator-verify")
    try:
        reported = {
            (r["collection"], r["legacy_id"])
            for r in await connection.fetch(
                "SELECT collection, legacy_id FROM migrator.migration_rejects"
            )
        }
        report = DriftReport([])
        remap = await _platform_ids(connection)
        for collection in wanted:
            spec = TABLES[collection]
            actual = await _table_rows(connection, spec)
            kept = await _kept(connection, spec)
            want = expected.rows[collection]
            if remap:
                want = {
                    legacy_id: tuple(remap.get(v, v) for v in values)
                    for legacy_id, values in want.items()
                }
            drift = CollectionDrift(
                collection,
                legacy=len(legacy.documents[collection]) + len(legacy.invalid_ids[collection]),
                invalid_ids=legacy.invalid_ids[collection],
                expected=len(want),
                table=len(actual),
                merged=len(expected.merged) if collection == "users" else 0,
            )
            for legacy_id, values in want.items():
                row = actual.get(legacy_id)
                if row is None:
                    if (collection, legacy_id) in reported:
                        drift.rejected += 1  # refused by a constraint, and said so
                    else:
                        drift.missing.append(legacy_id)
                elif legacy_id in kept:
                    drift.kept.append(legacy_id)
                elif checksum(row) != checksum(values):
                    drift.differing[legacy_id] = [
                        name
                        for name, a, b in zip(spec.column_names, row, values, strict=True)
                        if checksum([a]) != checksum([b])
                    ]
            drift.extra = sorted(set(actual) - set(want))
            for (rejected_collection, legacy_id), _reason in expected.rejected.items():
                if rejected_collection != collection:
                    continue
                drift.rejected += 1
                if (collection, legacy_id) not in reported:
                    drift.unreported.append(legacy_id)
            report.collections.append(drift)
        return report
    finally:
        await connection.close()
