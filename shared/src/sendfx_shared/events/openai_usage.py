"""``openai.call.completed``: one OpenAI API call and the usage it reported."""

import uuid
from typing import Annotated, Final, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

from sendfx_shared.topics import OPENAI_CALL_COMPLETED

# The type is named like its topic. Its producer here is feature-api
# (FEATURE_API_SOURCE); any service that calls OpenAI may publish it.
OPENAI_CALL_COMPLETED_TYPE: Final = OPENAI_CALL_COMPLETED

# Served tiers as OpenAI's responses name them (``default``, ``flex``,
# ``priority``, ``scale``, ...); ``batch`` is the price table's name for the
# Batch API's rates, which a call made with ``batch: true`` is priced at.
DEFAULT_TIER: Final = "default"
BATCH_TIER: Final = "batch"
FLEX_TIER: Final = "flex"
SERVICE_TIER_PATTERN: Final = r"^[a-z0-9_.-]{1,32}$"
ServiceTier = Annotated[str, Field(pattern=SERVICE_TIER_PATTERN)]


class OpenAICallCompleted(BaseModel):
    """Token counts follow OpenAI's own accounting: ``cached_tokens``,
    ``cache_write_tokens`` and ``audio_prompt_tokens`` are parts of
    ``prompt_tokens``; ``reasoning_tokens`` and ``audio_completion_tokens`` are
    parts of ``completion_tokens``. Absent optional fields mean 0, ``false``
    and ``default``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    workspace_id: uuid.UUID
    user_id: uuid.UUID | None = None
    service: str = Field(min_length=1, max_length=64)
    model: str = Field(min_length=1, max_length=128)
    request_id: str | None = Field(default=None, max_length=256)
    prompt_tokens: NonNegativeInt = 0
    cached_tokens: NonNegativeInt = 0
    completion_tokens: NonNegativeInt = 0
    reasoning_tokens: NonNegativeInt = 0
    total_tokens: NonNegativeInt | None = None
    usage_missing: bool = False
    latency_ms: NonNegativeInt | None = None
    occurred_at: AwareDatetime
    # What OpenAI bills by (CONTRACT.md): the tier the response says served
    # the call, the Batch API, and the token kinds with rates of their own.
    service_tier: ServiceTier = DEFAULT_TIER
    batch: bool = False
    cache_write_tokens: NonNegativeInt = 0
    audio_prompt_tokens: NonNegativeInt = 0
    audio_completion_tokens: NonNegativeInt = 0

    @model_validator(mode="after")
    def _parts_fit_inside_wholes(self) -> Self:
        prompt_parts = self.cached_tokens + self.cache_write_tokens + self.audio_prompt_tokens
        if prompt_parts > self.prompt_tokens:
            raise ValueError(
                "cached_tokens, cache_write_tokens and audio_prompt_tokens are counted"
                " inside prompt_tokens and cannot exceed it together"
            )
        if self.reasoning_tokens + self.audio_completion_tokens > self.completion_tokens:
            raise ValueError(
                "reasoning_tokens and audio_completion_tokens are counted inside"
                " completion_tokens and cannot exceed it together"
            )
        return self

    @property
    def priced_tier(self) -> str:
        """The tier whose rates apply: ``batch`` for a Batch API call, else the
        served tier."""
        return BATCH_TIER if self.batch else self.service_tier

    @property
    def effective_total_tokens(self) -> int:
        if self.total_tokens is not None:
            return self.total_tokens
        return self.prompt_tokens + self.completion_tokens
