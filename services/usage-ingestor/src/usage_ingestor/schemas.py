"""The HTTP models of usage-ingestor's routes (CONTRACT.md's usage routes)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from sendfx_shared.events.openai_usage import BATCH_TIER

# Money is numeric in PostgreSQL and a JSON number on the wire (as core-api's).
Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class UsageNumbers(BaseModel):
    calls: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0
    cache_write_tokens: int = 0
    audio_prompt_tokens: int = 0
    audio_completion_tokens: int = 0
    cost_usd: Money = Field(
        default=Decimal(0), description="estimated cost of the priced calls, USD"
    )
    unpriced_calls: int = 0
    usage_missing_calls: int = 0


class UsageByModel(UsageNumbers):
    model: str


class UsageByService(UsageNumbers):
    service: str


class UsageByServiceTier(UsageNumbers):
    service_tier: str = Field(
        description="the tier the calls were priced at: `batch` for Batch API calls, else the"
        " tier the responses named"
    )


class UsageByDay(UsageNumbers):
    day: date


class UsageSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    workspace_id: uuid.UUID
    from_: date = Field(alias="from")
    to: date
    tz: str
    totals: UsageNumbers
    by_model: list[UsageByModel]
    by_service: list[UsageByService]
    by_service_tier: list[UsageByServiceTier]
    by_day: list[UsageByDay]


class UsageCall(BaseModel):
    """One metered call, as stored (its cost as last priced or repriced)."""

    id: uuid.UUID
    occurred_at: datetime
    model: str
    service: str
    service_tier: str
    batch: bool
    prompt_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    audio_prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    audio_completion_tokens: int
    total_tokens: int
    cost_usd: Money | None
    unpriced: bool
    usage_missing: bool
    request_id: str | None
    user_id: uuid.UUID | None

    @property
    def priced_tier(self) -> str:
        """The tier its rates are (pricing.Call): ``batch`` for a Batch API call."""
        return BATCH_TIER if self.batch else self.service_tier


class RepriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from", description="first day (UTC), inclusive")
    to: date = Field(description="last day (UTC), inclusive")
    model: str | None = Field(
        default=None, min_length=1, max_length=128, description="only this model's calls"
    )


class RepriceOut(BaseModel):
    calls: int = Field(description="calls in the range")
    changed: int = Field(description="calls whose cost (or pricedness) changed")
    cost_before: Money
    cost_after: Money
