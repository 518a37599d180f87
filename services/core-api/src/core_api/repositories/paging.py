"""Keyset pagination on (created_at, id): stable under concurrent inserts."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sendfx_shared.pagination import decode_cursor, encode_cursor
from sendfx_shared.problems import ProblemError


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
        raise ProblemError(400, "the cursor is not valid", kind="invalid-cursor") from exc


def page_of(
    records: Sequence[asyncpg.Record], limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Rows fetched with ``limit + 1``: the page and the cursor of what follows."""
    rows = [dict(r) for r in records[:limit]]
    if len(records) <= limit or not rows:
        return rows, None
    last = rows[-1]
    return rows, encode_cursor({"t": last["created_at"].isoformat(), "i": str(last["id"])})


def after_args(after: After | None) -> tuple[datetime | None, uuid.UUID | None]:
    return (after.created_at, after.id) if after else (None, None)


# Appended to a WHERE clause whose next two parameters are after_args(...).
def keyset(alias: str, first_param: int) -> str:
    t, i = f"${first_param}", f"${first_param + 1}"
    return (
        f"({t}::timestamptz IS NULL"
        f" OR ({alias}.created_at, {alias}.id) > ({t}::timestamptz, {i}::uuid))"
    )
