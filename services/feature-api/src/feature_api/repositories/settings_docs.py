"""Single-document settings collections (``uisettings``, ``adminlogsettings``),
each under the key ``global``, as their models."""

from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.unit_of_work import Document

GLOBAL_KEY = "global"
S = TypeVar("S", bound=BaseModel)


async def get(db: AsyncDatabase[Document], collection: str, model: type[S]) -> S:
    """The stored settings, or the model's defaults while none were saved."""
    return model.model_validate(await db[collection].find_one({"_id": GLOBAL_KEY}) or {})


async def put(
    db: AsyncDatabase[Document], collection: str, model: type[S], body: BaseModel, **more: Any
) -> S:
    """Replace the settings as a whole: every field of ``body`` is written."""
    saved = await db[collection].find_one_and_update(
        {"_id": GLOBAL_KEY},
        {"$set": {**body.model_dump(), **more}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert saved is not None
    return model.model_validate(saved)
