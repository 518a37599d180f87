"""What the AI services keep: agent runs (as ``AgentRunOut``), assistant
chats and each workspace's assistant configuration."""

import uuid
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import AGENT_RUNS, ASSISTANT_CHATS, ASSISTANTS
from feature_api.models.ai import (
    AgentRunOut,
    AssistantConfig,
    AssistantConfigIn,
    ChatTurn,
    UsageOut,
)
from feature_api.repositories.documents import stored_values, to_document
from feature_api.unit_of_work import Document, UnitOfWork


async def insert_agent_run(
    uow: UnitOfWork, run: AgentRunOut, *, input: str, user_id: uuid.UUID
) -> None:
    await uow.db[AGENT_RUNS].insert_one(
        to_document(run, input=input, user_id=user_id), session=uow.session
    )


async def insert_assistant_chat(
    uow: UnitOfWork,
    *,
    chat_id: str,
    workspace_id: str,
    user_id: uuid.UUID,
    messages: list[ChatTurn],
    reply: str,
    usage: UsageOut,
    at: datetime,
) -> None:
    await uow.db[ASSISTANT_CHATS].insert_one(
        {
            "_id": chat_id,
            "workspace_id": workspace_id,
            "user_id": str(user_id),
            "messages": [t.model_dump() for t in messages],
            "reply": reply,
            "usage": usage.model_dump(),
            "created_at": at,
        },
        session=uow.session,
    )


async def assistant_config(db: AsyncDatabase[Document], workspace_id: str) -> AssistantConfig:
    """The workspace's configuration, or the defaults while none was saved."""
    saved = await db[ASSISTANTS].find_one({"_id": workspace_id})
    return AssistantConfig.model_validate({**(saved or {}), "workspace_id": workspace_id})


async def put_assistant_config(
    db: AsyncDatabase[Document], workspace_id: str, body: AssistantConfigIn, at: datetime
) -> AssistantConfig:
    values = stored_values(body, updated_at=at)
    await db[ASSISTANTS].update_one({"_id": workspace_id}, {"$set": values}, upsert=True)
    return AssistantConfig.model_validate({**values, "workspace_id": workspace_id})
