"""Keyset pagination over a sort key that ends in a unique field."""

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo.asynchronous.collection import AsyncCollection

from feature_api.repositories.documents import to_model
from feature_api.unit_of_work import Document
from sendfx_shared.pagination import Page, decode_cursor, invalid_cursor, trim_page

M = TypeVar("M", bound=BaseModel)


def _encode(value: Any) -> Any:
    return {"$dt": value.isoformat()} if isinstance(value, datetime) else value


def _decode(value: Any) -> Any:
    """A sort-key value back from a cursor; only plain scalars may come in."""
    if isinstance(value, dict) and set(value) == {"$dt"}:
        return datetime.fromisoformat(str(value["$dt"]))
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    raise ValueError("not a sort-key value")


def _after(keys: tuple[str, ...], values: list[Any]) -> dict[str, Any]:
    """Documents strictly after ``values`` in ascending ``keys`` order."""
    branches: list[dict[str, Any]] = []
    for depth, key in enumerate(keys):
        branch = {k: values[i] for i, k in enumerate(keys[:depth])}
        branch[key] = {"$gt": values[depth]}
        branches.append(branch)
    return {"$or": branches}


async def page(
    model: type[M],
    collection: AsyncCollection[Document],
    query: Document,
    cursor: str | None,
    limit: int,
    keys: tuple[str, ...] = ("created_at", "_id"),
) -> Page[M]:
    position = decode_cursor(cursor)
    if position is not None:
        raw = position.get("k")
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise invalid_cursor()
        try:
            values = [_decode(v) for v in raw]
        except ValueError as exc:
            raise invalid_cursor() from exc
        query = {"$and": [query, _after(keys, values)]}
    found = await collection.find(query, sort=[(k, 1) for k in keys], limit=limit + 1).to_list()
    rows, following = trim_page(found, limit, lambda last: {"k": [_encode(last[k]) for k in keys]})
    # Parametrised by the concrete model, so the page serialises its fields.
    listed: Page[M] = Page[model](  # type: ignore[valid-type]
        items=[to_model(model, row) for row in rows], next_cursor=following
    )
    return listed
