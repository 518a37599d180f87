"""The workspace assistant: a chat with the workspace's own configuration
(name, instructions, model), optionally grounded in its knowledge."""

import uuid

from feature_api.context import AppContext
from feature_api.models.ai import (
    AssistantChatIn,
    AssistantChatOut,
    AssistantConfig,
    AssistantConfigIn,
    AssistantReply,
    UsageOut,
)
from feature_api.openai_client import Messages, ModelReply, OnDelta
from feature_api.repositories import ai_records
from feature_api.services.access import require_workspace
from feature_api.services.ai_reply import knowledge_prompt
from feature_api.services.model_calls import call_model, usage_out
from feature_api.services.retrieval import retrieve_knowledge
from feature_api.store import Session, Store, new_id, now
from sendfx_shared.auth import Principal


async def get_config(
    store: Store, principal: Principal, workspace_id: uuid.UUID
) -> AssistantConfig:
    wid = await require_workspace(store.db, principal, workspace_id)
    saved = await ai_records.assistant_config(store.db, wid)
    return AssistantConfig.model_validate({**(saved or {}), "workspace_id": wid})


async def put_config(
    store: Store, principal: Principal, workspace_id: uuid.UUID, body: AssistantConfigIn
) -> AssistantConfig:
    wid = await require_workspace(store.db, principal, workspace_id)
    values = {**body.model_dump(), "updated_at": now()}
    await ai_records.put_assistant_config(store.db, wid, values)
    return AssistantConfig.model_validate({**values, "workspace_id": wid})


async def chat(
    ctx: AppContext,
    principal: Principal,
    workspace_id: uuid.UUID,
    body: AssistantChatIn,
    on_delta: OnDelta | None = None,
) -> AssistantChatOut:
    config = await get_config(ctx.store, principal, workspace_id)
    wid = str(config.workspace_id)
    questions = [t.content for t in body.messages if t.role == "user"]
    sources = (
        await retrieve_knowledge(
            ctx.store.db, wid, questions[-1], ctx.settings.knowledge_context_chunks
        )
        if config.use_knowledge and questions
        else []
    )
    system = f"You are {config.name}. {config.instructions}"
    messages: Messages = [{"role": "system", "content": knowledge_prompt(system, sources)}]
    messages += [t.model_dump() for t in body.messages]
    chat_id = new_id()

    async def persist(session: Session, reply: ModelReply) -> tuple[str, UsageOut]:
        usage = usage_out(reply)
        await ai_records.insert_assistant_chat(
            ctx.store.db,
            {
                "_id": chat_id,
                "workspace_id": wid,
                "user_id": str(principal.user_id),
                "messages": [t.model_dump() for t in body.messages],
                "reply": reply.content,
                "usage": usage.model_dump(),
                "created_at": now(),
            },
            session,
        )
        return reply.content, usage

    content, usage = await call_model(
        ctx,
        workspace_id=wid,
        user_id=principal.user_id,
        service="assistant",
        messages=messages,
        persist=persist,
        model=config.model,
        stream=body.stream,
        on_delta=on_delta,
    )
    return AssistantChatOut(
        id=chat_id,
        message=AssistantReply(content=content),
        usage=usage,
        sources=sources,
    )
