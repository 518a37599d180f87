"""One model call for every AI service: the quota check, then the call
through the OpenAI client. The caller stores the reply and queues its usage
event (``ModelCall.record_usage``) in one unit of work. Every call that
spent tokens yields exactly one ``openai.call.completed``: a call that
failed after spending some (a cut stream, flagged ``usage_missing``) is
recorded here."""

import time
import uuid
from dataclasses import dataclass
from typing import Literal

from feature_api.context import AppContext
from feature_api.models.ai import UsageOut
from feature_api.openai_client import Messages, ModelCallFailed, ModelReply, OnDelta, Tools
from feature_api.services.quota import ensure_ai_allowed
from feature_api.telemetry import counting_quota_refusals, record_failure, record_reply
from feature_api.unit_of_work import UnitOfWork
from sendfx_shared import topics
from sendfx_shared.events.envelope import utc_now
from sendfx_shared.events.openai_usage import OPENAI_CALL_COMPLETED_TYPE, OpenAICallCompleted
from sendfx_shared.problems import ProblemError

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


@dataclass(frozen=True)
class ModelCall:
    """A model call that answered: the reply, and who spent its tokens."""

    reply: ModelReply
    workspace_id: str
    user_id: uuid.UUID | None
    service: Service

    @property
    def usage(self) -> UsageOut:
        return usage_out(self.reply)

    def record_usage(self, uow: UnitOfWork) -> None:
        """Queue the call's ``openai.call.completed`` in the caller's unit of work."""
        u = self.reply.usage
        uow.emit(
            OPENAI_CALL_COMPLETED_TYPE,
            topic=topics.OPENAI_CALL_COMPLETED,
            key=self.workspace_id,
            data=OpenAICallCompleted(
                workspace_id=uuid.UUID(self.workspace_id),
                user_id=self.user_id,
                service=self.service,
                model=self.reply.model,
                request_id=self.reply.request_id,
                prompt_tokens=u.prompt_tokens,
                cached_tokens=min(u.cached_tokens, u.prompt_tokens),
                completion_tokens=u.completion_tokens,
                reasoning_tokens=min(u.reasoning_tokens, u.completion_tokens),
                total_tokens=u.total_tokens,
                usage_missing=u.usage_missing,
                latency_ms=self.reply.latency_ms,
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
    tools: Tools | None = None,
    model: str | None = None,
    stream: bool = False,
    on_delta: OnDelta | None = None,
) -> ModelCall:
    """The model's reply, once the workspace may spend tokens. With
    ``on_delta`` the model streams, and the text is passed on as it comes."""
    with counting_quota_refusals():
        await ensure_ai_allowed(ctx.database.db, workspace_id)
    started = time.perf_counter()
    try:
        if stream or on_delta is not None:
            reply = await ctx.openai.stream(messages, tools=tools, model=model, on_delta=on_delta)
        else:
            reply = await ctx.openai.complete(messages, tools=tools, model=model)
    except ModelCallFailed as failure:
        record_failure(service, failure, started)
        spent = failure.spent
        if spent is not None:
            async for uow in ctx.database.units():
                async with uow:
                    ModelCall(spent, workspace_id, user_id, service).record_usage(uow)
        raise ProblemError(
            failure.status,
            failure.detail,
            kind="model-timeout" if failure.status == 504 else "model-unavailable",
        ) from failure
    record_reply(service, reply, started)
    return ModelCall(reply, workspace_id, user_id, service)
