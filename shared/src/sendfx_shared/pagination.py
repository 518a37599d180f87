"""Wrapped, cursor-paginated lists: ``{"items": [...], "next_cursor": ...}``.

A cursor is an opaque, URL-safe token holding the sort key of the last item
returned; clients pass it back unchanged.
"""

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from sendfx_shared.problems import ProblemError

ItemT = TypeVar("ItemT")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


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
        raise ProblemError(400, "the cursor is not valid", kind="invalid-cursor") from exc
    if not isinstance(value, dict):
        raise ProblemError(400, "the cursor is not valid", kind="invalid-cursor")
    return value
