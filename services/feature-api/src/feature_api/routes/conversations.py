"""Conversations: /api/workspaces/{wid}/conversations, /api/conversations/{id}
and its messages (append-only, cursor-paginated, oldest first)."""

import uuid

from fastapi import APIRouter, Response

from feature_api.models.conversations import Conversation, ConversationIn, Message, MessageIn
from feature_api.routes.deps import Database
from feature_api.routes.problems_doc import SIGNED_IN
from feature_api.services import conversations
from sendfx_shared.auth import CurrentPrincipal
from sendfx_shared.pagination import Page, Paging

router = APIRouter(tags=["conversations"], responses=SIGNED_IN)


@router.get("/api/workspaces/{workspace_id}/conversations")
async def list_conversations(
    workspace_id: uuid.UUID,
    database: Database,
    principal: CurrentPrincipal,
    page: Paging,
) -> Page[Conversation]:
    return await conversations.CONVERSATIONS.list(database, principal, workspace_id, page)


@router.post("/api/workspaces/{workspace_id}/conversations", status_code=201)
async def create_conversation(
    workspace_id: uuid.UUID,
    database: Database,
    principal: CurrentPrincipal,
    body: ConversationIn | None = None,
) -> Conversation:
    return await conversations.create_conversation(
        database, principal, workspace_id, body or ConversationIn()
    )


@router.get("/api/conversations/{conversation_id}")
async def get_conversation(
    conversation_id: str, database: Database, principal: CurrentPrincipal
) -> Conversation:
    return await conversations.CONVERSATIONS.get(database, principal, conversation_id)


@router.delete("/api/conversations/{conversation_id}", status_code=204)
async def delete_conversation(
    conversation_id: str, database: Database, principal: CurrentPrincipal
) -> Response:
    await conversations.CONVERSATIONS.delete(database, principal, conversation_id)
    return Response(status_code=204)


@router.get("/api/conversations/{conversation_id}/messages")
async def list_messages(
    conversation_id: str,
    database: Database,
    principal: CurrentPrincipal,
    page: Paging,
) -> Page[Message]:
    return await conversations.list_messages(database, principal, conversation_id, page)


@router.post("/api/conversations/{conversation_id}/messages", status_code=201)
async def append_message(
    conversation_id: str, body: MessageIn, database: Database, principal: CurrentPrincipal
) -> Message:
    return await conversations.append_message(database, principal, conversation_id, body)
