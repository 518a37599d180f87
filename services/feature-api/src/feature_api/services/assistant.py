"""The workspace assistant: a chat with the workspace's own configuration
(name, instructions, model), optionally grounded in its knowledge."""

import uuid

from feature_api.context import AppContext
from feature_api.database import FeatureDatabase, new_id, now
from feature_api.models.ai import (
    AssistantChatIn,
    AssistantChatOut,
    AssistantConfig,
    AssistantConfigIn,
    AssistantReply,
)
from feature_api.openai_client import Messages, OnDelta
from feature_api.repositories import ai_records
from feature_api.services.access import workspace_access
from feature_api.services.ai_reply import knowledge_prompt
from feature_api.services.model_calls import call_model
from feature_api.services.retrieval import retrieve_knowledge
from sendfx_shared.auth import Principal


async def get_config(
    database: FeatureDatabase, principal: Principal, workspace_id: uuid.UUID
) -> AssistantConfig:
    wid = await workspace_access(database.db, principal, workspace_id)
    return await ai_records.assistant_config(database.db, wid)


async def put_config(
    database: FeatureDatabase,
    principal: Principal,
    workspace_id: uuid.UUID,
    body: AssistantConfigIn,
) -> AssistantConfig:
    wid = await workspace_access(database.db, principal, workspace_id, manage=True)
    return await ai_records.put_assistant_config(database.db, wid, body, now())


async def chat(
    ctx: AppContext,
    principal: Principal,
    workspace_id: uuid.UUID,
    body: AssistantChatIn,
    on_delta: OnDelta | None = None,
) -> AssistantChatOut:
    config = await get_config(ctx.database, principal, workspace_id)
    wid = str(config.workspace_id)
    questions = [t.content for t in body.messages if t.role == "user"]
    sources = (
        await retrieve_knowledge(
            ctx.database.db, wid, questions[-1], ctx.settings.knowledge_context_chunks
        )
        if config.use_knowledge and questions
        else []
    )
    system = f"You are {config.name}. {config.instructions}"
    messages: Messages = [{"role": "system", "content": knowledge_prompt(system, sources)}]
    messages += [t.model_dump() for t in body.messages]
    call = await call_model(
        ctx,
        workspace_id=wid,
        user_id=principal.user_id,
        service="assistant",
        messages=messages,
        model=config.model,
        stream=body.stream,
        on_delta=on_delta,
    )
    usage = call.usage
    chat_id = new_id()
    async for uow in ctx.database.units():
        async with uow:
            await ai_records.insert_assistant_chat(
                uow,
                chat_id=chat_id,
                workspace_id=wid,
                user_id=principal.user_id,
                messages=body.messages,
                reply=call.reply.content,
                usage=usage,
                at=now(),
            )
            call.record_usage(uow)
    return AssistantChatOut(
        id=chat_id,
        message=AssistantReply(content=call.reply.content),
        usage=usage,
        sources=sources,
    )
