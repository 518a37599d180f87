"""Single-document settings collections (``uisettings``, ``adminlogsettings``),
each under the key ``global``."""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.store import Document

GLOBAL_KEY = "global"


async def get(db: AsyncDatabase[Document], collection: str) -> Document | None:
    return await db[collection].find_one({"_id": GLOBAL_KEY})


async def upsert(db: AsyncDatabase[Document], collection: str, values: Document) -> Document:
    saved = await db[collection].find_one_and_update(
        {"_id": GLOBAL_KEY},
        {"$set": values},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert saved is not None
    return saved
