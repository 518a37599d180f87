"""Keyset pagination on (created_at, id): stable under concurrent inserts."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sendfx_shared.pagination import decode_cursor, invalid_cursor, trim_page


@dataclass(frozen=True)
class After:
    created_at: datetime
    id: uuid.UUID


def parse_cursor(cursor: str | None) -> After | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        moment = datetime.fromisoformat(str(position["t"]))
        if moment.tzinfo is None:
            raise ValueError("naive")
        return After(moment, uuid.UUID(str(position["i"])))
    except (KeyError, ValueError) as exc:
        raise invalid_cursor() from exc


def page_of(
    records: Sequence[asyncpg.Record], limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Rows fetched with ``limit + 1``: the page and the cursor of what follows."""
    return trim_page(
        [dict(r) for r in records[: limit + 1]],
        limit,
        lambda last: {"t": last["created_at"].isoformat(), "i": str(last["id"])},
    )


def after_args(after: After | None) -> tuple[datetime | None, uuid.UUID | None]:
    return (after.created_at, after.id) if after else (None, None)


# Appended to a WHERE clause whose next two parameters are after_args(...).
def keyset(alias: str, first_param: int) -> str:
    t, i = f"${first_param}", f"${first_param + 1}"
    return (
        f"({t}::timestamptz IS NULL"
        f" OR ({alias}.created_at, {alias}.id) > ({t}::timestamptz, {i}::uuid))"
    )
