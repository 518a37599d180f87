"""Request and response bodies of the core-api HTTP API.

Every text input is checked by ``_storable`` (no NUL, valid UTF-8: PostgreSQL
refuses both, and that must be a 422 rather than a 500); numbers are bounded
to what their columns hold.
"""

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, PlainSerializer

from sendfx_shared.events.core import SubscriptionStatus, UserRole, WorkspaceRole
from sendfx_shared.events.openai_usage import DEFAULT_TIER, ServiceTier

PlatformRole = UserRole

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BIGINT_MAX = 2**63 - 1
_INT_MAX = 2**31 - 1


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid UTF-8 text") from exc
    return value


def _email(value: str) -> str:
    value = _storable(value).strip()
    if not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_email)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_storable)]
Password = Annotated[str, Field(min_length=8, max_length=256), AfterValidator(_storable)]
Slug = Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]*$")]
TierCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
# Money is numeric in PostgreSQL and a JSON number on the wire.
Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Price = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), decimal_places=2)]
PerMTok = Annotated[Decimal, Field(ge=0, le=Decimal("999999.999999"), decimal_places=6)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- auth and users ----------------------------------------------------------


class RegisterIn(_In):
    email: Email
    password: Password
    name: Annotated[str, Field(max_length=200), AfterValidator(_storable)] = ""


class LoginIn(_In):
    email: Annotated[str, Field(max_length=254), AfterValidator(_storable)]
    password: Annotated[str, Field(max_length=256), AfterValidator(_storable)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str


class RefreshIn(_In):
    refresh_token: Annotated[str, Field(min_length=1, max_length=256)]


class UserOut(_Out):
    id: uuid.UUID
    email: str
    name: str
    role: PlatformRole
    is_active: bool
    created_at: datetime
    updated_at: datetime


class MeUpdateIn(_In):
    name: Annotated[str, Field(max_length=200), AfterValidator(_storable)] | None = None
    password: Password | None = None


class AdminUserCreateIn(RegisterIn):
    role: PlatformRole = "user"


class AdminUserUpdateIn(_In):
    name: Annotated[str, Field(max_length=200), AfterValidator(_storable)] | None = None
    role: PlatformRole | None = None
    is_active: bool | None = None


# -- workspaces and members --------------------------------------------------


class WorkspaceIn(_In):
    name: Name
    slug: Slug | None = None


class WorkspaceUpdateIn(_In):
    name: Name | None = None
    slug: Slug | None = None


class TierLimitsOut(BaseModel):
    ai_tokens_monthly: int | None = None
    flows: int | None = None
    members: int | None = None
    models: list[str] | None = Field(default=None, description="null: any model")


class WorkspaceOut(_Out):
    id: uuid.UUID
    name: str
    slug: str
    owner_id: uuid.UUID | None
    tier_code: str | None
    limits: TierLimitsOut
    role: WorkspaceRole | None = Field(description="the caller's role; null for platform admins")
    version: int
    created_at: datetime
    updated_at: datetime


class MemberIn(_In):
    """Adds an already registered user, found by email (case-insensitive)."""

    email: Email
    role: Literal["admin", "member"] = "member"


class MemberRoleIn(_In):
    """``owner`` transfers ownership: the previous owner becomes an admin."""

    role: WorkspaceRole


class MemberOut(_Out):
    workspace_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    name: str
    role: WorkspaceRole
    created_at: datetime
    updated_at: datetime


# -- tiers, billing, subscriptions -------------------------------------------


class TierLimitsIn(_In):
    ai_tokens_monthly: Annotated[int, Field(ge=0, le=_BIGINT_MAX)] | None = None
    flows: Annotated[int, Field(ge=0, le=_INT_MAX)] | None = None
    members: Annotated[int, Field(ge=0, le=_INT_MAX)] | None = None
    models: (
        Annotated[
            list[Annotated[str, Field(min_length=1, max_length=128)]],
            Field(max_length=64),
        ]
        | None
    ) = Field(default=None, description="the models the tier may use; null: any model")


class TierIn(_In):
    code: TierCode
    name: Name
    price_monthly: Price = Decimal(0)
    limits: TierLimitsIn = TierLimitsIn()
    is_active: bool = True


class TierUpdateIn(_In):
    name: Name | None = None
    price_monthly: Price | None = None
    limits: TierLimitsIn | None = None
    is_active: bool | None = None


class TierOut(_Out):
    id: uuid.UUID
    code: str
    name: str
    price_monthly: Money
    limits: TierLimitsOut
    is_active: bool
    created_at: datetime
    updated_at: datetime


class BillingAccountIn(_In):
    email: Email | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    stripe_customer_id: (
        Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_storable)] | None
    ) = None


class BillingAccountOut(_Out):
    id: uuid.UUID
    workspace_id: uuid.UUID
    email: str | None
    country: str | None
    stripe_customer_id: str | None
    created_at: datetime
    updated_at: datetime


class SubscriptionIn(_In):
    tier_code: TierCode
    trial: bool = False


class SubscriptionChangeIn(_In):
    tier_code: TierCode


class SubscriptionStatusIn(_In):
    status: SubscriptionStatus


class SubscriptionOut(_Out):
    id: uuid.UUID
    workspace_id: uuid.UUID
    tier_code: str
    status: SubscriptionStatus
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    stripe_subscription_id: str | None
    pending_tier_code: str | None = Field(
        default=None, description="a paid tier waiting for payment (admin or billing webhook)"
    )
    version: int
    created_at: datetime
    updated_at: datetime


# -- usage -------------------------------------------------------------------


class UsageCounterOut(_Out):
    workspace_id: uuid.UUID
    metric: str
    period: str
    count: int
    updated_at: datetime


def _plain_decimal(value: Decimal) -> str:
    """``0.150000`` → ``"0.15"``: the decimal string, without exponent or padding."""
    return format(value.normalize(), "f") if value else "0"


# USD per 1M tokens: a JSON decimal string (never a float) on the way out.
Rate = Annotated[Decimal, PlainSerializer(_plain_decimal, return_type=str, when_used="json")]


def _rate_field(name: str, legacy: str, required: bool = True) -> Any:
    """A rate named as CONTRACT.md says (``input``), also accepted by its older
    column-style name (``input_per_mtok``) from clients written before tiers."""
    return Field(
        ... if required else None,
        validation_alias=AliasChoices(name, legacy),
        serialization_alias=name,
    )


class ModelPriceIn(_In):
    """USD per 1M tokens for a model (or family) and served tier, effective from
    a date (a new version, never an edit). A token kind without a rate leaves
    the calls that use it unpriced."""

    model: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_storable)]
    effective_from: date
    service_tier: ServiceTier = DEFAULT_TIER
    input: PerMTok = _rate_field("input", "input_per_mtok")
    cached_input: PerMTok = _rate_field("cached_input", "cached_input_per_mtok")
    output: PerMTok = _rate_field("output", "output_per_mtok")
    reasoning: PerMTok | None = _rate_field("reasoning", "reasoning_per_mtok", required=False)
    cache_write: PerMTok | None = _rate_field("cache_write", "cache_write_per_mtok", False)
    audio_input: PerMTok | None = _rate_field("audio_input", "audio_input_per_mtok", False)
    audio_output: PerMTok | None = _rate_field("audio_output", "audio_output_per_mtok", False)


class ModelPriceOut(_Out):
    id: uuid.UUID
    model: str
    effective_from: date
    service_tier: str
    input: Rate
    cached_input: Rate
    output: Rate
    reasoning: Rate | None = None
    cache_write: Rate | None = None
    audio_input: Rate | None = None
    audio_output: Rate | None = None
    source: str
    created_at: datetime
