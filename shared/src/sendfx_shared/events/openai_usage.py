"""``openai.call.completed``: one OpenAI API call and the usage it reported."""

import uuid
from typing import Final, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

from sendfx_shared.topics import OPENAI_CALL_COMPLETED

# The type is named like its topic. Its producer here is feature-api
# (FEATURE_API_SOURCE); any service that calls OpenAI may publish it.
OPENAI_CALL_COMPLETED_TYPE: Final = OPENAI_CALL_COMPLETED


class OpenAICallCompleted(BaseModel):
    """Token counts follow OpenAI's own accounting: ``cached_tokens`` is part of
    ``prompt_tokens`` and ``reasoning_tokens`` is part of ``completion_tokens``."""

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

    @model_validator(mode="after")
    def _parts_fit_inside_wholes(self) -> Self:
        if self.cached_tokens > self.prompt_tokens:
            raise ValueError("cached_tokens is counted inside prompt_tokens and cannot exceed it")
        if self.reasoning_tokens > self.completion_tokens:
            raise ValueError(
                "reasoning_tokens is counted inside completion_tokens and cannot exceed it"
            )
        return self

    @property
    def effective_total_tokens(self) -> int:
        if self.total_tokens is not None:
            return self.total_tokens
        return self.prompt_tokens + self.completion_tokens
