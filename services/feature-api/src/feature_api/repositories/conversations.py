"""The ``conversations`` and ``messages`` collections. Messages are
append-only: each takes the next ``seq`` of its conversation."""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.repositories.paging import page
from feature_api.store import CONVERSATIONS, MESSAGES, Document, Session


async def insert(db: AsyncDatabase[Document], conversation: Document, session: Session) -> None:
    await db[CONVERSATIONS].insert_one(conversation, session=session)


async def get(
    db: AsyncDatabase[Document], conversation_id: str, session: Session | None = None
) -> Document | None:
    return await db[CONVERSATIONS].find_one({"_id": conversation_id}, session=session)


async def list_page(
    db: AsyncDatabase[Document], workspace_id: str, cursor: str | None, limit: int
) -> tuple[list[Document], str | None]:
    return await page(db[CONVERSATIONS], {"workspace_id": workspace_id}, cursor, limit)


async def delete(db: AsyncDatabase[Document], conversation_id: str, session: Session) -> bool:
    result = await db[CONVERSATIONS].delete_one({"_id": conversation_id}, session=session)
    await db[MESSAGES].delete_many({"conversation_id": conversation_id}, session=session)
    return result.deleted_count == 1


async def next_seq(
    db: AsyncDatabase[Document], conversation_id: str, at: object, session: Session
) -> int | None:
    """Reserve the next message number (None: the conversation is gone)."""
    updated = await db[CONVERSATIONS].find_one_and_update(
        {"_id": conversation_id},
        {"$inc": {"message_count": 1}, "$set": {"updated_at": at}},
        projection={"message_count": 1},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    return int(updated["message_count"]) if updated else None


async def insert_message(db: AsyncDatabase[Document], message: Document, session: Session) -> None:
    await db[MESSAGES].insert_one(message, session=session)


async def messages_page(
    db: AsyncDatabase[Document], conversation_id: str, cursor: str | None, limit: int
) -> tuple[list[Document], str | None]:
    return await page(
        db[MESSAGES], {"conversation_id": conversation_id}, cursor, limit, keys=("seq",)
    )


async def recent_messages(
    db: AsyncDatabase[Document], conversation_id: str, count: int
) -> list[Document]:
    """The last ``count`` messages, oldest first."""
    found = (
        await db[MESSAGES]
        .find({"conversation_id": conversation_id}, sort=[("seq", -1)], limit=count)
        .to_list()
    )
    return list(reversed(found))


async def last_message_by(
    db: AsyncDatabase[Document], conversation_id: str, role: str
) -> Document | None:
    return await db[MESSAGES].find_one(
        {"conversation_id": conversation_id, "role": role}, sort=[("seq", -1)]
    )
