"""Conversations of a workspace and their append-only messages."""

import uuid
from typing import Any, Literal

from feature_api.events import announce
from feature_api.models.conversations import Conversation, ConversationIn, Message, MessageIn
from feature_api.repositories import conversations as repo
from feature_api.repositories.paging import as_api
from feature_api.services.access import require_access_to, require_workspace
from feature_api.store import Document, Session, Store, new_id, now
from sendfx_shared.auth import Principal
from sendfx_shared.events import feature as fe
from sendfx_shared.pagination import Page
from sendfx_shared.problems import NotFound

Role = Literal["user", "assistant", "system"]


def _announcement(conversation: Document) -> fe.ConversationChanged:
    return fe.ConversationChanged(
        conversation_id=conversation["_id"],
        workspace_id=uuid.UUID(conversation["workspace_id"]),
        title=conversation["title"],
    )


async def create_conversation(
    store: Store, principal: Principal, workspace_id: uuid.UUID, body: ConversationIn
) -> Conversation:
    wid = await require_workspace(store.db, principal, workspace_id)
    moment = now()
    conversation: Document = {
        "_id": new_id(),
        "workspace_id": wid,
        "title": body.title,
        "created_by": str(principal.user_id),
        "message_count": 0,
        "created_at": moment,
        "updated_at": moment,
    }

    async def write(session: Session) -> None:
        await repo.insert(store.db, conversation, session)
        await announce(
            store,
            session,
            type=fe.CONVERSATION_CREATED,
            key=conversation["_id"],
            data=_announcement(conversation),
        )

    await store.transaction(write)
    return Conversation.model_validate(as_api(conversation))


async def accessible_conversation(
    store: Store, principal: Principal, conversation_id: str
) -> Document:
    found = await repo.get(store.db, conversation_id)
    return await require_access_to(store.db, principal, found, "conversation")


async def get_conversation(
    store: Store, principal: Principal, conversation_id: str
) -> Conversation:
    found = await accessible_conversation(store, principal, conversation_id)
    return Conversation.model_validate(as_api(found))


async def list_conversations(
    store: Store, principal: Principal, workspace_id: uuid.UUID, cursor: str | None, limit: int
) -> Page[Conversation]:
    wid = await require_workspace(store.db, principal, workspace_id)
    found, following = await repo.list_page(store.db, wid, cursor, limit)
    return Page[Conversation](
        items=[Conversation.model_validate(as_api(c)) for c in found], next_cursor=following
    )


async def delete_conversation(store: Store, principal: Principal, conversation_id: str) -> None:
    conversation = await accessible_conversation(store, principal, conversation_id)

    async def write(session: Session) -> None:
        if not await repo.delete(store.db, conversation_id, session):
            raise NotFound("conversation")
        await announce(
            store,
            session,
            type=fe.CONVERSATION_DELETED,
            key=conversation_id,
            data=_announcement(conversation),
        )

    await store.transaction(write)


async def append_in(
    store: Store,
    session: Session,
    conversation: Document,
    *,
    role: Role,
    content: str,
    author_id: str | None,
    usage: dict[str, Any] | None = None,
) -> Document:
    """Append one message inside the caller's transaction, with its event."""
    moment = now()
    seq = await repo.next_seq(store.db, conversation["_id"], moment, session)
    if seq is None:
        raise NotFound("conversation")
    message: Document = {
        "_id": new_id(),
        "conversation_id": conversation["_id"],
        "workspace_id": conversation["workspace_id"],
        "seq": seq,
        "role": role,
        "content": content,
        "author_id": author_id,
        "usage": usage,
        "created_at": moment,
    }
    await repo.insert_message(store.db, message, session)
    await announce(
        store,
        session,
        type=fe.CONVERSATION_MESSAGE_ADDED,
        key=conversation["_id"],
        data=fe.ConversationMessageAdded(
            conversation_id=conversation["_id"],
            workspace_id=uuid.UUID(conversation["workspace_id"]),
            message_id=message["_id"],
            seq=seq,
            role=role,
        ),
    )
    return message


async def append_message(
    store: Store, principal: Principal, conversation_id: str, body: MessageIn
) -> Message:
    conversation = await accessible_conversation(store, principal, conversation_id)

    async def write(session: Session) -> Document:
        return await append_in(
            store,
            session,
            conversation,
            role="user",
            content=body.content,
            author_id=str(principal.user_id),
        )

    return Message.model_validate(as_api(await store.transaction(write)))


async def list_messages(
    store: Store, principal: Principal, conversation_id: str, cursor: str | None, limit: int
) -> Page[Message]:
    await accessible_conversation(store, principal, conversation_id)
    found, following = await repo.messages_page(store.db, conversation_id, cursor, limit)
    return Page[Message](
        items=[Message.model_validate(as_api(m)) for m in found], next_cursor=following
    )
