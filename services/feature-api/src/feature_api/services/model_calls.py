"""One model call, start to finish, for every AI service: quota check, the
call through the OpenAI client, and the reply stored with its usage event in one
transaction. Every call that spent tokens yields exactly one
``openai.call.completed`` — a cut stream too, flagged ``usage_missing``."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from feature_api.context import AppContext
from feature_api.events import announce
from feature_api.models.ai import UsageOut
from feature_api.openai_client import Messages, ModelCallFailed, ModelReply, OnDelta, Tools
from feature_api.services.quotas import ensure_ai_allowed
from feature_api.store import Session, Store
from sendfx_shared import topics
from sendfx_shared.events.envelope import utc_now
from sendfx_shared.events.openai_usage import OPENAI_CALL_COMPLETED_TYPE, OpenAICallCompleted
from sendfx_shared.problems import ProblemError

T = TypeVar("T")
Service = Literal["ai_reply", "ai_agent", "assistant"]


def usage_out(reply: ModelReply) -> UsageOut:
    u = reply.usage
    return UsageOut(
        model=reply.model,
        request_id=reply.request_id,
        prompt_tokens=u.prompt_tokens,
        cached_tokens=u.cached_tokens,
        completion_tokens=u.completion_tokens,
        reasoning_tokens=u.reasoning_tokens,
        total_tokens=u.total_tokens,
        usage_missing=u.usage_missing,
        latency_ms=reply.latency_ms,
    )


async def record_usage(
    store: Store,
    session: Session,
    *,
    workspace_id: str,
    user_id: uuid.UUID | None,
    service: Service,
    reply: ModelReply,
) -> None:
    u = reply.usage
    await announce(
        store,
        session,
        topic=topics.OPENAI_CALL_COMPLETED,
        type=OPENAI_CALL_COMPLETED_TYPE,
        key=workspace_id,
        data=OpenAICallCompleted(
            workspace_id=uuid.UUID(workspace_id),
            user_id=user_id,
            service=service,
            model=reply.model,
            request_id=reply.request_id,
            prompt_tokens=u.prompt_tokens,
            cached_tokens=min(u.cached_tokens, u.prompt_tokens),
            completion_tokens=u.completion_tokens,
            reasoning_tokens=min(u.reasoning_tokens, u.completion_tokens),
            total_tokens=u.total_tokens,
            usage_missing=u.usage_missing,
            latency_ms=reply.latency_ms,
            occurred_at=utc_now(),
        ),
    )


async def call_model(
    ctx: AppContext,
    *,
    workspace_id: str,
    user_id: uuid.UUID | None,
    service: Service,
    messages: Messages,
    persist: Callable[[Session, ModelReply], Awaitable[T]],
    tools: Tools | None = None,
    model: str | None = None,
    stream: bool = False,
    on_delta: OnDelta | None = None,
) -> T:
    """Call the model and store ``persist``'s writes and the usage event together.
    With ``on_delta`` the model streams, and the text is passed on as it comes."""
    store = ctx.store
    await ensure_ai_allowed(store.db, workspace_id)
    try:
        if stream or on_delta is not None:
            reply = await ctx.openai.stream(messages, tools=tools, model=model, on_delta=on_delta)
        else:
            reply = await ctx.openai.complete(messages, tools=tools, model=model)
    except ModelCallFailed as failure:
        spent = failure.spent
        if spent is not None:

            async def record_spent(session: Session) -> None:
                await record_usage(
                    store,
                    session,
                    workspace_id=workspace_id,
                    user_id=user_id,
                    service=service,
                    reply=spent,
                )

            await store.transaction(record_spent)
        raise ProblemError(
            failure.status,
            failure.detail,
            kind="model-timeout" if failure.status == 504 else "model-unavailable",
        ) from failure

    async def write(session: Session) -> T:
        result = await persist(session, reply)
        await record_usage(
            store, session, workspace_id=workspace_id, user_id=user_id, service=service, reply=reply
        )
        return result

    return await store.transaction(write)
