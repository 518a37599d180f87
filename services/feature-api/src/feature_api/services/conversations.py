"""Conversations of a workspace and their append-only messages."""

import uuid
from typing import Any, Literal

from feature_api.database import FeatureDatabase, new_id, new_record, now
from feature_api.models.conversations import Conversation, ConversationIn, Message, MessageIn
from feature_api.repositories import conversations as repo
from feature_api.services.access import found, workspace_access
from feature_api.services.resources import WorkspaceResources
from feature_api.unit_of_work import UnitOfWork
from sendfx_shared.auth import Principal
from sendfx_shared.events import feature as fe
from sendfx_shared.pagination import Page, PageRequest

Role = Literal["user", "assistant", "system"]


def _changed(conversation: Conversation) -> fe.ConversationChanged:
    return fe.ConversationChanged(
        conversation_id=conversation.id,
        workspace_id=conversation.workspace_id,
        title=conversation.title,
    )


CONVERSATIONS = WorkspaceResources(
    "conversation", repo.get, repo.list_page, repo.delete, fe.CONVERSATION_DELETED, _changed
)


async def create_conversation(
    database: FeatureDatabase, principal: Principal, workspace_id: uuid.UUID, body: ConversationIn
) -> Conversation:
    wid = await workspace_access(database.db, principal, workspace_id)
    conversation = new_record(
        Conversation,
        workspace_id=wid,
        title=body.title,
        created_by=principal.user_id,
        message_count=0,
    )
    async for uow in database.units():
        async with uow:
            await repo.insert(uow, conversation)
            uow.emit(fe.CONVERSATION_CREATED, key=conversation.id, data=_changed(conversation))
    return conversation


async def append(
    uow: UnitOfWork,
    conversation: Conversation,
    *,
    role: Role,
    content: str,
    author_id: uuid.UUID | None,
    usage: dict[str, Any] | None = None,
) -> Message:
    """Append one message in ``uow``, with its event."""
    moment = now()
    seq = found(await repo.next_seq(uow, conversation.id, moment), "conversation")
    message = Message(
        id=new_id(),
        conversation_id=conversation.id,
        workspace_id=conversation.workspace_id,
        seq=seq,
        role=role,
        content=content,
        author_id=author_id,
        usage=usage,
        created_at=moment,
    )
    await repo.insert_message(uow, message)
    uow.emit(
        fe.CONVERSATION_MESSAGE_ADDED,
        key=conversation.id,
        data=fe.ConversationMessageAdded(
            conversation_id=conversation.id,
            workspace_id=conversation.workspace_id,
            message_id=message.id,
            seq=seq,
            role=role,
        ),
    )
    return message


async def append_message(
    database: FeatureDatabase, principal: Principal, conversation_id: str, body: MessageIn
) -> Message:
    conversation = await CONVERSATIONS.accessible(database, principal, conversation_id)
    async for uow in database.units():
        async with uow:
            message = await append(
                uow, conversation, role="user", content=body.content, author_id=principal.user_id
            )
    return message


async def list_messages(
    database: FeatureDatabase,
    principal: Principal,
    conversation_id: str,
    page: PageRequest,
) -> Page[Message]:
    await CONVERSATIONS.accessible(database, principal, conversation_id)
    return await repo.messages_page(database.db, conversation_id, page.cursor, page.limit)
