"""AI routes: AI reply on a conversation, agent runs, the workspace assistant.

Model failures answer 502 (upstream error, cut stream) or 504 (timeout) as
problem+json; an exhausted AI quota answers 402 naming the tier and limit.
"""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from feature_api.models.ai import (
    AgentRunIn,
    AgentRunOut,
    AiReplyIn,
    AiReplyOut,
    AssistantChatIn,
    AssistantChatOut,
    AssistantConfig,
    AssistantConfigIn,
)
from feature_api.routes.deps import AiContext, Database
from feature_api.routes.problems_doc import AI
from feature_api.routes.sse import SSE_RESPONSE, event_stream, wants_events
from feature_api.services import agents, assistant
from feature_api.services.ai_reply import ai_reply
from sendfx_shared.auth import CurrentPrincipal

router = APIRouter(tags=["ai"], responses=AI)


@router.post(
    "/api/conversations/{conversation_id}/ai-reply",
    status_code=201,
    response_model=AiReplyOut,
    responses=SSE_RESPONSE,
)
async def reply_to_conversation(
    conversation_id: str,
    ctx: AiContext,
    principal: CurrentPrincipal,
    request: Request,
    body: AiReplyIn | None = None,
) -> AiReplyOut | StreamingResponse:
    stream = (body or AiReplyIn()).stream
    if wants_events(request):
        return await event_stream(
            lambda on_delta: ai_reply(
                ctx, principal, conversation_id, stream=True, on_delta=on_delta
            )
        )
    return await ai_reply(ctx, principal, conversation_id, stream=stream)


@router.post("/api/workspaces/{workspace_id}/agents/run", status_code=201)
async def run_agent(
    workspace_id: uuid.UUID, body: AgentRunIn, ctx: AiContext, principal: CurrentPrincipal
) -> AgentRunOut:
    return await agents.run_agent(ctx, principal, str(workspace_id), body)


@router.get("/api/workspaces/{workspace_id}/assistant")
async def get_assistant(
    workspace_id: uuid.UUID, database: Database, principal: CurrentPrincipal
) -> AssistantConfig:
    return await assistant.get_config(database, principal, workspace_id)


@router.put("/api/workspaces/{workspace_id}/assistant")
async def put_assistant(
    workspace_id: uuid.UUID,
    body: AssistantConfigIn,
    database: Database,
    principal: CurrentPrincipal,
) -> AssistantConfig:
    return await assistant.put_config(database, principal, workspace_id, body)


@router.post(
    "/api/workspaces/{workspace_id}/assistant/chat",
    status_code=201,
    response_model=AssistantChatOut,
    responses=SSE_RESPONSE,
)
async def chat_with_assistant(
    workspace_id: uuid.UUID,
    body: AssistantChatIn,
    ctx: AiContext,
    principal: CurrentPrincipal,
    request: Request,
) -> AssistantChatOut | StreamingResponse:
    if wants_events(request):
        return await event_stream(
            lambda on_delta: assistant.chat(ctx, principal, workspace_id, body, on_delta)
        )
    return await assistant.chat(ctx, principal, workspace_id, body)
