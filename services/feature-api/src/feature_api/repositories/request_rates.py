"""feature-api's rate counters (``rate_windows``): one atomic upsert-and-count
per hit, shared by every feature-api instance; MongoDB's TTL index removes
windows that have ended."""

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from feature_api.database import RATE_WINDOWS
from feature_api.unit_of_work import Document


class MongoRateStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._windows = db[RATE_WINDOWS]

    async def hit(self, key: str, expires_at: datetime) -> int:
        change = {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": expires_at}}
        for _ in range(2):
            try:
                found = await self._windows.find_one_and_update(
                    {"_id": key}, change, upsert=True, return_document=ReturnDocument.AFTER
                )
            except DuplicateKeyError:
                continue  # a concurrent first hit inserted it: count again
            return int((found or {}).get("count", 1))
        return 1
