"""Wrapped, cursor-paginated lists: ``{"items": [...], "next_cursor": ...}``.

A cursor is an opaque, URL-safe token holding the sort key of the last item
returned; clients pass it back unchanged. Every list route of every service
takes the same ``cursor`` and ``limit`` query parameters as one ``Paging``
dependency (a ``PageRequest``, which the route hands to its service as is),
and every store fetches ``limit + 1`` items so that ``trim_page`` can tell
whether another page follows.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from sendfx_shared.problems import ProblemError

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Cursor = Annotated[
    str | None, Query(max_length=2000, description="next_cursor of the previous page")
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
DEFAULT_PAGE = DEFAULT_LIMIT


@dataclass(frozen=True)
class PageRequest:
    """Which page a list request asks for: the previous page's cursor (None for
    the first page) and how many items at the most."""

    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _page_request(cursor: Cursor = None, limit: Limit = DEFAULT_PAGE) -> PageRequest:
    return PageRequest(cursor, limit)


# The one way a list route takes its ``cursor`` and ``limit`` query parameters.
Paging = Annotated[PageRequest, Depends(_page_request)]


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = None


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise invalid_cursor() from exc
    if not isinstance(value, dict):
        raise invalid_cursor()
    return value


def invalid_cursor() -> ProblemError:
    """The 400 for a cursor that decodes but does not hold a position."""
    return ProblemError(400, "the cursor is not valid", kind="invalid-cursor")


def trim_page(
    found: Sequence[RowT], limit: int, position_of: Callable[[RowT], dict[str, Any]]
) -> tuple[list[RowT], str | None]:
    """Rows fetched with ``limit + 1``: the page, and the cursor of what follows
    (the position of the page's last row)."""
    rows = list(found[:limit])
    if len(found) <= limit or not rows:
        return rows, None
    return rows, encode_cursor(position_of(rows[-1]))
