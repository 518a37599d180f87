"""One model call for every AI service: the quota check and the admission
(a reservation of the tokens the call may use, ``services/spend.py``), then
the call through the OpenAI client with the ``max_tokens`` admitted, then
the reservation settled with what the call really used. The caller stores
the reply and queues its usage event (``ModelCall.record_usage``) in one
unit of work. Every call that spent tokens yields exactly one
``openai.call.completed``: a call that failed after spending some (a cut
stream, flagged ``usage_missing``) is recorded here."""

import dataclasses
import re
import time
import uuid
from dataclasses import dataclass
from typing import Literal

from feature_api.context import AppContext
from feature_api.models.ai import UsageOut
from feature_api.openai_client import (
    CallUsage,
    Messages,
    ModelCallFailed,
    ModelReply,
    OnDelta,
    Tools,
)
from feature_api.repositories.request_rates import MongoRateStore
from feature_api.services import spend
from feature_api.services.quota import ensure_ai_allowed
from feature_api.telemetry import counting_quota_refusals, record_failure, record_reply
from feature_api.unit_of_work import UnitOfWork
from sendfx_shared import topics
from sendfx_shared.events.envelope import utc_now
from sendfx_shared.events.openai_usage import (
    DEFAULT_TIER,
    OPENAI_CALL_COMPLETED_TYPE,
    SERVICE_TIER_PATTERN,
    OpenAICallCompleted,
)
from sendfx_shared.problems import ProblemError
from sendfx_shared.throttle import count_or_refuse

Service = Literal["ai_reply", "ai_agent", "assistant"]
_TIER = re.compile(SERVICE_TIER_PATTERN)


def usage_out(reply: ModelReply) -> UsageOut:
    # UsageOut is the call's usage (CallUsage's fields) plus which call it was.
    return UsageOut(
        model=reply.model,
        request_id=reply.request_id,
        latency_ms=reply.latency_ms,
        **dataclasses.asdict(reply.usage),
    )


def _token_parts(u: CallUsage) -> dict[str, int]:
    """The parts of the prompt and completion, each capped by what is left of its
    whole, so that a provider's inconsistent details can never make the event
    invalid (a part is counted inside its whole, as OpenAI counts them)."""
    parts: dict[str, int] = {}
    left = u.prompt_tokens
    for name in ("cached_tokens", "cache_write_tokens", "audio_prompt_tokens"):
        parts[name] = min(getattr(u, name), left)
        left -= parts[name]
    left = u.completion_tokens
    for name in ("reasoning_tokens", "audio_completion_tokens"):
        parts[name] = min(getattr(u, name), left)
        left -= parts[name]
    return {"completion_tokens": u.completion_tokens, **parts}


def _tier_of(served: str | None) -> str:
    """The served tier as the event carries it: ``default`` when the response
    named none (or one the event could not carry)."""
    if served and _TIER.fullmatch(served):
        return served
    return DEFAULT_TIER


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
                **_token_parts(u),
                total_tokens=u.total_tokens,
                usage_missing=u.usage_missing,
                latency_ms=self.reply.latency_ms,
                occurred_at=utc_now(),
                service_tier=_tier_of(self.reply.service_tier),
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
    db = ctx.database.db
    with counting_quota_refusals():
        await ensure_ai_allowed(db, workspace_id)
    settings = ctx.settings
    await count_or_refuse(
        MongoRateStore(db),
        f"ai:{workspace_id}",
        settings.ai_calls_per_workspace,
        settings.rate_limit_window_seconds,
        "AI calls for this workspace",
    )
    with counting_quota_refusals():
        admission = await spend.admit(db, ctx.settings, workspace_id, messages, tools, model)
    chosen, cap = admission.model, admission.max_tokens
    started = time.perf_counter()
    try:
        if stream or on_delta is not None:
            reply = await ctx.openai.stream(
                messages, tools=tools, model=chosen, max_tokens=cap, on_delta=on_delta
            )
        else:
            reply = await ctx.openai.complete(messages, tools=tools, model=chosen, max_tokens=cap)
    except ModelCallFailed as failure:
        record_failure(service, failure, started)
        spent = failure.spent
        await spend.settle(db, admission, admission.used_by(spent))
        if spent is not None:
            async for uow in ctx.database.units():
                async with uow:
                    ModelCall(spent, workspace_id, user_id, service).record_usage(uow)
        raise ProblemError(
            failure.status,
            failure.detail,
            kind="model-timeout" if failure.status == 504 else "model-unavailable",
        ) from failure
    except BaseException:
        # Cancelled mid-call (the client went away): what it spent is unknown,
        # so the whole reservation counts.
        await spend.settle(db, admission, admission.reserved)
        raise
    await spend.settle(db, admission, admission.used_by(reply))
    record_reply(service, reply, started)
    return ModelCall(reply, workspace_id, user_id, service)
