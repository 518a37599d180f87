"""What the OpenAI gateway shows an operator: Prometheus metrics per AI
service (calls, tokens, latency, errors by kind, quota refusals) and one
CLIENT span per model call with the OpenTelemetry GenAI conventions
(``gen_ai.request.model``, ``gen_ai.usage.input_tokens`` and friends).

Labels are bounded: the AI service (``ai_reply``, ``ai_agent``,
``assistant``), the token kind, the error kind; never a model name a request
could choose, nor a workspace.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from prometheus_client import Counter, Histogram

from feature_api.openai_client import ModelCallFailed, ModelReply, OpenAIClient
from sendfx_shared.observability.tracing import tracer
from sendfx_shared.problems import ProblemError

CALLS: Final = Counter(
    "sendfx_openai_calls", "Model calls made, by AI service and outcome", ["service", "outcome"]
)
TOKENS: Final = Counter(
    "sendfx_openai_tokens",
    "Tokens the model reported, by AI service and kind (cached inside prompt, "
    "reasoning inside completion)",
    ["service", "kind"],
)
LATENCY: Final = Histogram(
    "sendfx_openai_call_duration_seconds",
    "Time from the request to the model's last token",
    ["service"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0),
)
ERRORS: Final = Counter(
    "sendfx_openai_errors", "Model calls that failed, by kind of failure", ["service", "kind"]
)
QUOTA_REFUSALS: Final = Counter(
    "sendfx_openai_quota_refusals", "AI calls refused because the workspace's quota is spent"
)
_QUOTA_STATUS: Final = 402


def _record_tokens(service: str, reply: ModelReply) -> None:
    usage = reply.usage
    for kind, count in (
        ("prompt", usage.prompt_tokens),
        ("cached", usage.cached_tokens),
        ("completion", usage.completion_tokens),
        ("reasoning", usage.reasoning_tokens),
    ):
        if count:
            TOKENS.labels(service, kind).inc(count)


def record_reply(service: str, reply: ModelReply, started: float) -> None:
    CALLS.labels(service, "ok").inc()
    LATENCY.labels(service).observe(time.perf_counter() - started)
    _record_tokens(service, reply)


def error_kind(failure: ModelCallFailed) -> str:
    if failure.spent is not None:
        return "interrupted"
    return "timeout" if failure.status == 504 else "unavailable"


def record_failure(service: str, failure: ModelCallFailed, started: float) -> None:
    CALLS.labels(service, "error").inc()
    ERRORS.labels(service, error_kind(failure)).inc()
    LATENCY.labels(service).observe(time.perf_counter() - started)
    if failure.spent is not None:
        _record_tokens(service, failure.spent)


@contextmanager
def counting_quota_refusals() -> Iterator[None]:
    try:
        yield
    except ProblemError as refused:
        if refused.status == _QUOTA_STATUS:
            QUOTA_REFUSALS.inc()
        raise


def _describe(span: Span, reply: ModelReply) -> None:
    usage = reply.usage
    span.set_attribute(gen_ai.GEN_AI_RESPONSE_MODEL, reply.model)
    if reply.request_id:
        span.set_attribute(gen_ai.GEN_AI_RESPONSE_ID, reply.request_id)
    if reply.finish_reason:
        span.set_attribute(gen_ai.GEN_AI_RESPONSE_FINISH_REASONS, [reply.finish_reason])
    span.set_attribute(gen_ai.GEN_AI_USAGE_INPUT_TOKENS, usage.prompt_tokens)
    span.set_attribute(gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS, usage.completion_tokens)
    span.set_attribute(gen_ai.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cached_tokens)
    span.set_attribute(gen_ai.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoning_tokens)
    span.set_attribute("sendfx.usage_missing", usage.usage_missing)


class TracedOpenAIClient(OpenAIClient):
    """The OpenAI client with a GenAI CLIENT span around each call (a no-op span
    while tracing is off)."""

    async def complete(self, *args: Any, **kwargs: Any) -> ModelReply:
        with self._span(kwargs.get("model")) as span:
            return self._described(span, await super().complete(*args, **kwargs))

    async def stream(self, *args: Any, **kwargs: Any) -> ModelReply:
        with self._span(kwargs.get("model")) as span:
            return self._described(span, await super().stream(*args, **kwargs))

    @contextmanager
    def _span(self, model: str | None) -> Iterator[Span]:
        requested = model or self._model
        with tracer().start_as_current_span(
            f"chat {requested}",
            kind=SpanKind.CLIENT,
            record_exception=False,
            attributes={
                gen_ai.GEN_AI_OPERATION_NAME: "chat",
                gen_ai.GEN_AI_PROVIDER_NAME: "openai",
                gen_ai.GEN_AI_SYSTEM: "openai",
                gen_ai.GEN_AI_REQUEST_MODEL: requested,
            },
        ) as span:
            try:
                yield span
            except ModelCallFailed as failure:
                if failure.spent is not None:
                    _describe(span, failure.spent)
                span.set_attribute("error.type", error_kind(failure))
                span.set_status(Status(StatusCode.ERROR, failure.detail))
                raise

    @staticmethod
    def _described(span: Span, reply: ModelReply) -> ModelReply:
        _describe(span, reply)
        return reply
