"""Admission control for model calls: a call starts only if the workspace's
remaining monthly budget covers its prompt estimate plus the ``max_tokens``
the platform sets on it, and that amount is reserved before the call and
settled with the real usage after it (or after it failed).

The arithmetic is ``admitted_max_tokens`` (pure, property-tested); the
atomic reservation is ``repositories/spend_ledger.py``. Usage can pass the
limit only by the prompt estimate's error: the completion is capped by
``max_tokens``, and the estimate (``estimate_prompt_tokens``) errs high for
ordinary text (about 3 bytes a token where tokenizers average about 4).

The tier also names the models a call may use, and the prompt (history
plus knowledge) has a size cap: both are refused before anything is spent.
"""

import json
import math
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import now
from feature_api.openai_client import Messages, ModelReply, Tools
from feature_api.repositories import read_model, spend_ledger
from feature_api.services.quota import period_of
from feature_api.settings import FeatureSettings
from feature_api.unit_of_work import Document
from sendfx_shared.problems import ProblemError

# Per message and per request, as OpenAI's chat format adds them.
_MESSAGE_OVERHEAD = 4
_REQUEST_OVERHEAD = 3
_BYTES_PER_TOKEN = 3
# A reservation lost to a concurrent one is recomputed this many times.
_RESERVE_ATTEMPTS = 5


def estimate_prompt_tokens(messages: Messages, tools: Tools | None = None) -> int:
    """An upper estimate of the prompt's tokens (each message as JSON)."""
    total = _REQUEST_OVERHEAD
    for message in messages:
        size = len(json.dumps(message, ensure_ascii=False).encode())
        total += _MESSAGE_OVERHEAD + math.ceil(size / _BYTES_PER_TOKEN)
    if tools:
        total += math.ceil(len(json.dumps(tools, ensure_ascii=False).encode()) / _BYTES_PER_TOKEN)
    return total


def admitted_max_tokens(
    limit: int | None, committed: int, prompt: int, max_completion: int, min_completion: int
) -> int | None:
    """The ``max_tokens`` a call gets, or None when it is not admitted: the
    budget left after what is committed and the prompt, capped by the
    configured maximum, and at least ``min_completion`` (or the maximum,
    when that is configured lower)."""
    if limit is None:
        return max_completion
    room = limit - committed - prompt
    if room < min(min_completion, max_completion):
        return None
    return min(max_completion, room)


@dataclass(frozen=True)
class Admission:
    """A call allowed to start: its model, its ``max_tokens`` and what it reserved."""

    workspace_id: str
    period: str
    model: str
    max_tokens: int
    prompt_estimate: int
    reserved: int

    def used_by(self, reply: ModelReply | None) -> int:
        """The tokens to settle: the reported total; the prompt estimate plus
        what streamed when usage never came; nothing without a reply."""
        if reply is None:
            return 0
        if reply.usage.usage_missing:
            return self.prompt_estimate + reply.usage.completion_tokens
        return reply.usage.total_tokens


def _not_admitted(tier: str, limit: int, committed: int, needed: int, period: str) -> ProblemError:
    return ProblemError(
        402,
        f"this workspace's {tier} tier allows {limit} AI tokens a month; {committed} are used "
        f"or reserved in {period}, and this call needs at least {needed}",
        kind="ai-quota-exhausted",
        title="AI quota exhausted",
        extra={"tier": tier, "limit": limit, "period": period, "remaining": limit - committed},
    )


def _model_for(settings: FeatureSettings, limits: Document, asked: str | None) -> str:
    allowed: list[str] | None = limits.get("models")
    model = asked or settings.openai_model
    if allowed is None or model in allowed:
        return model
    if asked is None and allowed:
        return allowed[0]  # the platform's default is not on this tier: its first model
    raise ProblemError(
        403,
        f"the model {model!r} is not available on this workspace's tier; "
        f"it may use {', '.join(allowed) or 'no model'}",
        kind="model-not-allowed",
        title="Model not allowed",
        extra={"model": model, "allowed_models": allowed},
    )


async def admit(
    db: AsyncDatabase[Document],
    settings: FeatureSettings,
    workspace_id: str,
    messages: Messages,
    tools: Tools | None,
    model: str | None,
) -> Admission:
    """Reserve the call's tokens, or refuse it (402, 403, 422)."""
    workspace: dict[str, Any] = await read_model.workspace(db, workspace_id) or {}
    limits: Document = workspace.get("limits") or {}
    tier = workspace.get("tier_code") or "current"
    chosen = _model_for(settings, limits, model)
    prompt = estimate_prompt_tokens(messages, tools)
    if prompt > settings.ai_max_prompt_tokens:
        raise ProblemError(
            422,
            f"the prompt (conversation history and knowledge) is about {prompt} tokens; "
            f"the limit is {settings.ai_max_prompt_tokens}: shorten the conversation or the input",
            kind="prompt-too-large",
            title="Prompt too large",
            extra={"prompt_tokens": prompt, "max_prompt_tokens": settings.ai_max_prompt_tokens},
        )
    limit: int | None = limits.get("ai_tokens_monthly")
    period = period_of(now())
    for _ in range(_RESERVE_ATTEMPTS):
        committed = await spend_ledger.committed(db, workspace_id, period)
        max_tokens = admitted_max_tokens(
            limit,
            committed,
            prompt,
            settings.ai_max_completion_tokens,
            settings.ai_min_completion_tokens,
        )
        if max_tokens is None:
            assert limit is not None
            needed = prompt + settings.ai_min_completion_tokens
            raise _not_admitted(tier, limit, committed, needed, period)
        need = prompt + max_tokens
        if await spend_ledger.reserve(db, workspace_id, period, need, limit):
            return Admission(workspace_id, period, chosen, max_tokens, prompt, need)
    assert limit is not None
    raise _not_admitted(tier, limit, committed, prompt + settings.ai_min_completion_tokens, period)


async def settle(db: AsyncDatabase[Document], admission: Admission, used: int) -> None:
    await spend_ledger.settle(
        db, admission.workspace_id, admission.period, admission.reserved, used
    )
