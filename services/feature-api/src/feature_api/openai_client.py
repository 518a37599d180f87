"""The one door to the model: OpenAI's Chat Completions through the real
``openai`` client, streamed or not, shared by every AI service.

It returns what the model said together with the usage OpenAI reported, or
raises ``ModelCallFailed`` with the HTTP status the caller should answer
(502 for an upstream error, 504 for a timeout). Retries happen only where
they are safe: the client retries 429s, 5xx and connection errors before any
token has arrived; nothing is retried once a stream has started. A stream
that breaks off before its usage chunk still cost tokens: the failure then
carries ``spent``, the reply so far with ``usage_missing`` set, so that the
caller can record the call.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.completion_usage import CompletionUsage

from feature_api.settings import FeatureSettings
from sendfx_shared.problems import current_request_id

log = logging.getLogger("feature_api.openai")


@dataclass(frozen=True)
class CallUsage:
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0
    usage_missing: bool = False
    cache_write_tokens: int = 0
    audio_prompt_tokens: int = 0
    audio_completion_tokens: int = 0

    @classmethod
    def of(cls, usage: CompletionUsage | None, streamed_chunks: int = 0) -> "CallUsage":
        """What the response's usage says, details included; a response without
        usage (a cut stream) is ``usage_missing``, never zero."""
        if usage is None:
            return cls(
                completion_tokens=streamed_chunks,
                total_tokens=streamed_chunks,
                usage_missing=True,
            )
        prompt = usage.prompt_tokens_details
        completion = usage.completion_tokens_details
        return cls(
            prompt_tokens=usage.prompt_tokens,
            cached_tokens=_count(prompt, "cached_tokens"),
            completion_tokens=usage.completion_tokens,
            reasoning_tokens=_count(completion, "reasoning_tokens"),
            total_tokens=usage.total_tokens,
            cache_write_tokens=_count(prompt, *_CACHE_WRITE_NAMES),
            audio_prompt_tokens=_count(prompt, "audio_tokens"),
            audio_completion_tokens=_count(completion, "audio_tokens"),
        )


# The client's models keep fields they do not declare (as attributes): a
# cache-write count arrives under one of these names, by provider.
_CACHE_WRITE_NAMES = ("cache_write_tokens", "cache_creation_tokens")


def _count(details: Any, *names: str) -> int:
    """The first of ``names`` that ``details`` reports as a non-negative integer, else 0."""
    if details is None:
        return 0
    for name in names:
        value = getattr(details, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return 0


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str

    def parsed_arguments(self) -> dict[str, Any]:
        try:
            value = json.loads(self.arguments or "{}")
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class ModelReply:
    content: str
    model: str
    request_id: str | None
    usage: CallUsage
    latency_ms: int
    finish_reason: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    # The tier the response says served the call (None: it did not say).
    service_tier: str | None = None


class ModelCallFailed(Exception):
    def __init__(self, status: int, detail: str, spent: ModelReply | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.spent = spent


Messages = list[dict[str, Any]]
OnDelta = Callable[[str], None]
Tools = list[dict[str, Any]]


def _as_params(messages: Messages) -> list[ChatCompletionMessageParam]:
    # Callers build plain dicts; the client's TypedDicts describe the same shape.
    return cast(list[ChatCompletionMessageParam], messages)


class OpenAIClient:
    def __init__(self, settings: FeatureSettings) -> None:
        self._model = settings.openai_model
        # Sent only when configured: OpenAI then answers with the tier it used.
        self._tier: dict[str, Any] = (
            {"service_tier": settings.openai_service_tier} if settings.openai_service_tier else {}
        )
        self._client = AsyncOpenAI(
            api_key=settings.openai_api_key or "sk-not-configured",
            base_url=settings.openai_base_url,
            max_retries=settings.openai_max_retries,
            timeout=openai.Timeout(
                settings.openai_timeout_seconds, connect=settings.openai_connect_timeout_seconds
            ),
        )

    async def close(self) -> None:
        await self._client.close()

    async def complete(
        self,
        messages: Messages,
        *,
        tools: Tools | None = None,
        model: str | None = None,
        max_tokens: int | None = None,
    ) -> ModelReply:
        """One non-streamed completion."""
        started = time.monotonic()
        options = _options(tools, max_tokens) | self._tier
        try:
            response: ChatCompletion = await self._client.chat.completions.create(
                model=model or self._model, messages=_as_params(messages), **options
            )
        except openai.APIError as exc:
            raise _failure(exc) from exc
        choice = response.choices[0] if response.choices else None
        calls = [
            ToolCall(call.id, call.function.name, call.function.arguments)
            for call in (choice.message.tool_calls or [] if choice else [])
            if call.type == "function"
        ]
        return ModelReply(
            content=(choice.message.content or "") if choice else "",
            model=response.model,
            request_id=response.id,
            usage=CallUsage.of(response.usage),
            latency_ms=_elapsed_ms(started),
            finish_reason=choice.finish_reason if choice else None,
            tool_calls=calls,
            service_tier=response.service_tier,
        )

    async def stream(
        self,
        messages: Messages,
        *,
        tools: Tools | None = None,
        model: str | None = None,
        max_tokens: int | None = None,
        on_delta: OnDelta | None = None,
    ) -> ModelReply:
        """A streamed completion, gathered; usage from the final usage chunk.
        ``on_delta`` sees each piece of text as it arrives."""
        started = time.monotonic()
        options = _options(tools, max_tokens) | self._tier
        requested = model or self._model
        try:
            stream = await self._client.chat.completions.create(
                model=requested,
                messages=_as_params(messages),
                stream=True,
                stream_options={"include_usage": True},
                **options,
            )
        except openai.APIError as exc:
            raise _failure(exc) from exc
        gathered = _Gathered(requested)
        try:
            async for chunk in stream:
                piece = gathered.add(chunk)
                if piece and on_delta is not None:
                    on_delta(piece)
        except Exception as exc:  # the client wraps a cut connection as APIConnectionError
            # Tokens were (or may have been) spent: the caller records them.
            if isinstance(exc, openai.APITimeoutError) or "timeout" in type(exc).__name__.lower():
                status, detail = 504, "the model stopped answering mid-way"
            else:
                status, detail = 502, "the model's answer was cut off before it finished"
            raise ModelCallFailed(status, detail, spent=gathered.reply(started)) from exc
        return gathered.reply(started)


class _Gathered:
    def __init__(self, model: str) -> None:
        self.model = model
        self.request_id: str | None = None
        self.parts: list[str] = []
        self.chunks = 0
        self.usage: CompletionUsage | None = None
        self.finish_reason: str | None = None
        self.service_tier: str | None = None
        self.calls: dict[int, dict[str, str]] = {}

    def add(self, chunk: Any) -> str:
        """Take in one chunk; returns its text, if any."""
        text = ""
        self.request_id = chunk.id or self.request_id
        self.model = chunk.model or self.model
        self.service_tier = getattr(chunk, "service_tier", None) or self.service_tier
        if chunk.usage is not None:
            self.usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                self.parts.append(delta.content)
                self.chunks += 1
                text += delta.content
            for call in delta.tool_calls or []:
                slot = self.calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                slot["id"] = call.id or slot["id"]
                if call.function is not None:
                    slot["name"] += call.function.name or ""
                    slot["arguments"] += call.function.arguments or ""
                self.chunks += 1
            self.finish_reason = choice.finish_reason or self.finish_reason
        return text

    def reply(self, started: float) -> ModelReply:
        return ModelReply(
            content="".join(self.parts),
            model=self.model,
            request_id=self.request_id,
            usage=CallUsage.of(self.usage, streamed_chunks=self.chunks),
            latency_ms=_elapsed_ms(started),
            finish_reason=self.finish_reason,
            tool_calls=[
                ToolCall(c["id"], c["name"], c["arguments"]) for _, c in sorted(self.calls.items())
            ],
            service_tier=self.service_tier,
        )


def _options(tools: Tools | None, max_tokens: int | None) -> dict[str, Any]:
    options: dict[str, Any] = {"tools": tools} if tools else {}
    if max_tokens is not None:
        # ``max_tokens`` is deprecated, and refused by reasoning models.
        options["max_completion_tokens"] = max_tokens
    return options


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _failure(exc: openai.APIError) -> ModelCallFailed:
    """What the client is told; the provider's own text is logged with the
    request id, never passed on (it can name keys, accounts or internals)."""
    if isinstance(exc, openai.APITimeoutError):
        return ModelCallFailed(504, "the model did not answer in time")
    if isinstance(exc, openai.APIStatusError):
        log.warning(
            "request %s: the model provider answered %s: %s",
            current_request_id.get(),
            exc.status_code,
            _provider_message(exc),
        )
        return ModelCallFailed(502, f"the model provider refused the call ({exc.status_code})")
    log.warning(
        "request %s: the model provider could not be reached: %s", current_request_id.get(), exc
    )
    return ModelCallFailed(502, "the model provider could not be reached")


def _provider_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if message:
            return str(message)[:300]
    return exc.message[:300]
