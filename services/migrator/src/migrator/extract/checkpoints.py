"""How far extract got, per collection, kept in the legacy database itself
(extract holds MongoDB credentials only).

A run that finished every collection it was asked for leaves its checkpoints
``done``; the next run then starts afresh. A run that stopped half-way
(a crash, a kill) leaves one collection with a ``last_id``: the next run with
the same ``--since`` continues after it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from migrator.settings import CHECKPOINT_COLLECTION


@dataclass(frozen=True)
class Checkpoint:
    collection: str
    last_id: Any
    published: int
    done: bool
    since: str | None


class CheckpointStore:
    def __init__(self, database: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = database[CHECKPOINT_COLLECTION]

    async def read(self, collections: list[str]) -> dict[str, Checkpoint]:
        found: dict[str, Checkpoint] = {}
        async for doc in self._collection.find({"_id": {"$in": collections}}):
            found[doc["_id"]] = Checkpoint(
                collection=doc["_id"],
                last_id=doc.get("last_id"),
                published=int(doc.get("published", 0)),
                done=bool(doc.get("done")),
                since=doc.get("since"),
            )
        return found

    async def clear(self, collections: list[str]) -> None:
        await self._collection.delete_many({"_id": {"$in": collections}})

    async def save(
        self, collection: str, last_id: Any, published: int, *, done: bool, since: str | None
    ) -> None:
        await self._collection.replace_one(
            {"_id": collection},
            {
                "_id": collection,
                "last_id": last_id,
                "published": published,
                "done": done,
                "since": since,
                "updated_at": datetime.now(UTC),
            },
            upsert=True,
        )


def resumable(requested: list[str], found: dict[str, Checkpoint], since: str | None) -> bool:
    """True when an earlier run with the same ``--since`` stopped half-way."""
    if not found or any(cp.since != since for cp in found.values()):
        return False
    return not all(c in found and found[c].done for c in requested)
