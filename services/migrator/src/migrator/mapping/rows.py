"""What a legacy document becomes: one row of a core table, or a reason it cannot."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha1
from typing import Any, Final

from migrator.mapping.ejson import Unmappable, text, timestamp
from sendfx_shared.events.migrator import LegacyCollection

# Fixed forever: every run, on every machine, derives the same row ids from it.
ID_NAMESPACE: Final = uuid.UUID("5b0c7e2a-9d1f-5e3c-8a4b-6f2d1c0e9b7a")


_NAMESPACE_BYTES: Final = ID_NAMESPACE.bytes
_VERSION_5_CLEAR: Final = ~(0xF000 << 64 | 0xC000 << 48)
_VERSION_5_SET: Final = 0x5000 << 64 | 0x8000 << 48


def _uuid5(name: str) -> uuid.UUID:
    """``uuid.uuid5(ID_NAMESPACE, name)``, bit for bit, without the checks of
    ``UUID.__init__``: a row id per record made it a tenth of the load's CPU."""
    digest = sha1(_NAMESPACE_BYTES + name.encode(), usedforsecurity=False).digest()
    value = int.from_bytes(digest[:16]) & _VERSION_5_CLEAR | _VERSION_5_SET
    result = object.__new__(uuid.UUID)
    object.__setattr__(result, "int", value)
    object.__setattr__(result, "is_safe", uuid.SafeUUID.unknown)
    return result


def row_id(collection: LegacyCollection, legacy_id: str) -> uuid.UUID:
    return _uuid5(f"{collection}:{legacy_id}")


def user_id_for_email(email: str) -> uuid.UUID:
    """Users are identified by their normalised email, so that legacy accounts
    differing only in case converge on one row whatever order they arrive in."""
    return _uuid5(f"users:email:{email}")


def tier_id_for_code(code: str) -> uuid.UUID:
    """Tiers are identified by their normalised code, for the same reason:
    two legacy tiers coded alike converge on one row, the oldest one's."""
    return _uuid5(f"tiers:code:{code}")


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a parent legacy record, resolved to a row id at load time."""

    collection: LegacyCollection
    legacy_id: str


@dataclass(slots=True)  # not frozen: its __init__ is per record, and about 3x slower
class MappedRow:
    collection: LegacyCollection
    legacy_id: str
    id: uuid.UUID
    # Column → value, foreign-key columns excluded (they are in ``refs``).
    values: dict[str, Any]
    refs: dict[str, Ref | None] = field(default_factory=dict)
    # Values that were defaulted or repaired, for the report.
    notes: tuple[str, ...] = ()


def created_and_updated(legacy_id: str, document: dict[str, Any]) -> tuple[datetime, datetime]:
    """``createdAt`` (else the moment inside the ObjectId) and ``updatedAt``
    (else ``createdAt``): derived from the document, never from the clock, so
    replays write the same bytes."""
    created = timestamp(document.get("createdAt"), "createdAt")
    if created is None:
        created = datetime.fromtimestamp(int(legacy_id[:8], 16), UTC)
    updated = timestamp(document.get("updatedAt"), "updatedAt")
    return created, updated or created


def role_or_least_privilege(
    document: dict[str, Any], allowed: frozenset[str], least: str, notes: list[str]
) -> str:
    """``role`` lower-cased; an unknown role gets the least privilege, and a note."""
    role = (text(document.get("role"), "role") or least).lower()
    if role in allowed:
        return role
    notes.append(f"role {role!r} unknown, migrated as {least!r}")
    return least


def required(value: Any, field_name: str) -> Any:
    if value is None:
        raise Unmappable(f"{field_name}: missing")
    return value


def missing_parent(column: str, ref: Ref) -> str:
    """The reason a record waits (and, at the end, is rejected)."""
    where = f"{ref.collection} {ref.legacy_id}"
    return f"{column}: {where} is missing (never arrived or not migratable)"


def merged_tier(code: str, kept: str) -> str:
    """The reason a tier is rejected when an older one has the same code."""
    return (
        f"code {code!r} belongs to the older tier {kept} (oldest createdAt, then id): "
        f"merged into it, references to this tier resolve to {kept}"
    )


def oldest_per_row(rows: list[MappedRow]) -> list[MappedRow]:
    """One row per row id, the oldest record's (``createdAt``, then legacy id):
    accounts sharing an email, tiers sharing a code. The loader upserts these
    (an upsert may touch a row once); verify expects them."""
    best: dict[uuid.UUID, MappedRow] = {}
    for row in rows:
        seen = best.get(row.id)
        if seen is None or (row.values["created_at"], row.legacy_id) < (
            seen.values["created_at"],
            seen.legacy_id,
        ):
            best[row.id] = row
    return list(best.values())
