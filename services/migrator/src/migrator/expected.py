"""The rows a set of legacy documents should become, computed offline.

The same mapping the loader applies, plus the two things the loader learns
from PostgreSQL: which parents exist (here: which parent documents map and
resolve) and which legacy users and tiers merge (here: grouped by normalised
email or code, the oldest record kept). ``verify`` compares this with the tables.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from migrator.mapping import TABLES, MappedRow, Unmappable, map_record, row_id
from migrator.mapping.rows import merged_tier, missing_parent, oldest_per_row
from sendfx_shared.events.migrator import LEGACY_COLLECTIONS_IN_ORDER, LegacyCollection


@dataclass
class Expected:
    # collection → legacy id (of the row's own record) → row tuple (spec column order)
    rows: dict[str, dict[str, tuple[Any, ...]]] = field(default_factory=dict)
    # (collection, legacy id) → reason
    rejected: dict[tuple[str, str], str] = field(default_factory=dict)
    # merged legacy user id → the kept one
    merged: dict[str, str] = field(default_factory=dict)


def expected_rows(documents: dict[str, list[tuple[str, dict[str, Any]]]]) -> Expected:
    """``documents``: collection → [(legacy id, extended-JSON document)]."""
    out = Expected()
    # users and tiers: every legacy id → its row (the merged ones' included)
    aliases: dict[str, dict[str, uuid.UUID]] = {"users": {}, "tiers": {}}
    present: dict[str, set[uuid.UUID]] = {}
    for collection in LEGACY_COLLECTIONS_IN_ORDER:
        spec = TABLES[collection]
        mapped: list[MappedRow] = []
        for legacy_id, document in documents.get(collection, []):
            try:
                mapped.append(map_record(collection, legacy_id, document))
            except Unmappable as exc:
                out.rejected[(collection, legacy_id)] = str(exc)
        rows: dict[str, tuple[Any, ...]] = {}
        if collection in ("users", "tiers"):
            # One row per email (users) or code (tiers): the oldest record's.
            oldest = {row.id: row for row in oldest_per_row(mapped)}
            for row in mapped:
                aliases[collection][row.legacy_id] = row.id
                kept = oldest[row.id]
                if kept.legacy_id == row.legacy_id:
                    continue
                if collection == "users":
                    out.merged[row.legacy_id] = kept.legacy_id
                else:
                    reason = merged_tier(kept.values["code"], kept.legacy_id)
                    out.rejected[(collection, row.legacy_id)] = reason
            for row in oldest.values():
                rows[row.legacy_id] = spec.row_tuple(row, {})
        else:
            for row in mapped:
                resolved, missing = _resolve(row, aliases, present)
                if missing is not None:
                    out.rejected[(collection, row.legacy_id)] = missing
                else:
                    rows[row.legacy_id] = spec.row_tuple(row, resolved)
        present[collection] = {row_id(collection, legacy_id) for legacy_id in rows}
        if collection in aliases:
            present[collection] = set(aliases[collection].values())
        out.rows[collection] = rows
    return out


def _resolve(
    row: MappedRow,
    aliases: dict[str, dict[str, uuid.UUID]],
    present: dict[str, set[uuid.UUID]],
) -> tuple[dict[str, uuid.UUID | None], str | None]:
    resolved: dict[str, uuid.UUID | None] = {}
    for column, ref in row.refs.items():
        if ref is None:
            resolved[column] = None
            continue
        target: uuid.UUID | None
        if ref.collection in aliases:
            target = aliases[ref.collection].get(ref.legacy_id)
        else:
            candidate = row_id(ref.collection, ref.legacy_id)
            target = candidate if candidate in present.get(ref.collection, set()) else None
        if target is None:
            return resolved, missing_parent(column, ref)
        resolved[column] = target
    return resolved, None


def collections_in_order(selected: list[LegacyCollection] | None) -> list[LegacyCollection]:
    return [c for c in LEGACY_COLLECTIONS_IN_ORDER if selected is None or c in selected]
