"""The ``conversations`` and ``messages`` collections, as ``Conversation``
and ``Message`` models. Messages are append-only: each takes the next
``seq`` of its conversation."""

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import CONVERSATIONS, MESSAGES
from feature_api.models.conversations import Conversation, Message
from feature_api.repositories.documents import maybe_model, to_document, to_model
from feature_api.repositories.paging import page
from feature_api.unit_of_work import Document, UnitOfWork
from sendfx_shared.pagination import Page


async def insert(uow: UnitOfWork, conversation: Conversation) -> None:
    await uow.db[CONVERSATIONS].insert_one(to_document(conversation), session=uow.session)


async def get(db: AsyncDatabase[Document], conversation_id: str) -> Conversation | None:
    return maybe_model(Conversation, await db[CONVERSATIONS].find_one({"_id": conversation_id}))


async def list_page(
    db: AsyncDatabase[Document], workspace_id: str, cursor: str | None, limit: int
) -> Page[Conversation]:
    return await page(
        Conversation, db[CONVERSATIONS], {"workspace_id": workspace_id}, cursor, limit
    )


async def delete(uow: UnitOfWork, conversation_id: str) -> bool:
    """Delete the conversation with its messages; False when it was gone."""
    result = await uow.db[CONVERSATIONS].delete_one({"_id": conversation_id}, session=uow.session)
    await uow.db[MESSAGES].delete_many({"conversation_id": conversation_id}, session=uow.session)
    return result.deleted_count == 1


async def next_seq(uow: UnitOfWork, conversation_id: str, at: datetime) -> int | None:
    """Reserve the next message number (None: the conversation is gone)."""
    updated = await uow.db[CONVERSATIONS].find_one_and_update(
        {"_id": conversation_id},
        {"$inc": {"message_count": 1}, "$set": {"updated_at": at}},
        projection={"message_count": 1},
        return_document=ReturnDocument.AFTER,
        session=uow.session,
    )
    return int(updated["message_count"]) if updated else None


async def insert_message(uow: UnitOfWork, message: Message) -> None:
    await uow.db[MESSAGES].insert_one(to_document(message), session=uow.session)


async def messages_page(
    db: AsyncDatabase[Document], conversation_id: str, cursor: str | None, limit: int
) -> Page[Message]:
    return await page(
        Message, db[MESSAGES], {"conversation_id": conversation_id}, cursor, limit, keys=("seq",)
    )


async def recent_messages(
    db: AsyncDatabase[Document], conversation_id: str, count: int
) -> list[Message]:
    """The last ``count`` messages, oldest first."""
    found = (
        await db[MESSAGES]
        .find({"conversation_id": conversation_id}, sort=[("seq", -1)], limit=count)
        .to_list()
    )
    return [to_model(Message, m) for m in reversed(found)]


async def last_message_by(
    db: AsyncDatabase[Document], conversation_id: str, role: str
) -> Message | None:
    found = await db[MESSAGES].find_one(
        {"conversation_id": conversation_id, "role": role}, sort=[("seq", -1)]
    )
    return maybe_model(Message, found)
