"""Documents to models and back: the one place that knows a stored document
keeps its id in ``_id`` and its UUIDs as strings (the read model and every
query compare them as strings)."""

import uuid
from typing import Any, TypeVar

from pydantic import BaseModel

from feature_api.unit_of_work import Document

M = TypeVar("M", bound=BaseModel)


def _stored(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _stored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stored(v) for v in value]
    return value


def to_document(model: BaseModel, **stored_only: Any) -> Document:
    """``model`` as stored, plus the fields the API does not show."""
    values: Document = _stored(model.model_dump())
    document: Document = {"_id": values.pop("id")}
    document.update(values)
    document.update(_stored(stored_only))
    return document


def stored_values(model: BaseModel, **more: Any) -> Document:
    """The fields of an input model as an update writes them."""
    values: Document = _stored(model.model_dump())
    values.update(_stored(more))
    return values


def to_model(model: type[M], document: Document) -> M:
    """A stored document as ``model``: ``_id`` becomes ``id``."""
    shown = {k: v for k, v in document.items() if k != "_id"}
    shown["id"] = document["_id"]
    return model.model_validate(shown)


def maybe_model(model: type[M], document: Document | None) -> M | None:
    return None if document is None else to_model(model, document)
