"""``core.events``: every type published there, its payload and its producers.

core-api publishes the core domain's changes, usage-ingestor the ``usage.*``
types; feature-api keeps its read model of workspaces, members and quotas from
them, usage-ingestor each workspace's quota. A consumer skips the types it
does not keep.
"""

import uuid
from typing import Final, Literal

from pydantic import AwareDatetime, Field

from sendfx_shared.events.envelope import EventData

CORE_API_SOURCE: Final = "/sendfx/core-api"
USAGE_INGESTOR_SOURCE: Final = "/sendfx/usage-ingestor"

WorkspaceRole = Literal["owner", "admin", "member"]
UserRole = Literal["user", "admin"]
SubscriptionStatus = Literal["trialing", "active", "past_due", "canceled"]

USER_CREATED: Final = "user.created"
USER_UPDATED: Final = "user.updated"
WORKSPACE_CREATED: Final = "workspace.created"
WORKSPACE_UPDATED: Final = "workspace.updated"
WORKSPACE_DELETED: Final = "workspace.deleted"
WORKSPACE_MEMBER_ADDED: Final = "workspace_member.added"
WORKSPACE_MEMBER_ROLE_CHANGED: Final = "workspace_member.role_changed"
WORKSPACE_MEMBER_REMOVED: Final = "workspace_member.removed"
TIER_CREATED: Final = "tier.created"
TIER_UPDATED: Final = "tier.updated"
TIER_DELETED: Final = "tier.deleted"
BILLING_ACCOUNT_CREATED: Final = "billing_account.created"
BILLING_ACCOUNT_UPDATED: Final = "billing_account.updated"
SUBSCRIPTION_CREATED: Final = "subscription.created"
SUBSCRIPTION_CHANGED: Final = "subscription.changed"
SUBSCRIPTION_CANCELED: Final = "subscription.canceled"
USAGE_THRESHOLD_CROSSED: Final = "usage.threshold_crossed"


class TierLimits(EventData):
    ai_tokens_monthly: int | None = Field(default=None, ge=0)
    flows: int | None = Field(default=None, ge=0)
    members: int | None = Field(default=None, ge=0)
    # The models the tier may use; None: any model.
    models: list[str] | None = None


class WorkspaceChanged(EventData):
    """Data of ``workspace.created`` / ``workspace.updated`` / ``workspace.deleted``."""

    workspace_id: uuid.UUID
    name: str
    slug: str
    owner_id: uuid.UUID | None = None
    tier_code: str | None = None
    limits: TierLimits = TierLimits()
    version: int = Field(default=0, description="monotonic per workspace; orders replays")


class WorkspaceMemberChanged(EventData):
    """Data of ``workspace_member.added`` / ``.role_changed`` / ``.removed``."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID
    role: WorkspaceRole
    version: int = 0


class SubscriptionChanged(EventData):
    """Data of ``subscription.created`` / ``.changed`` / ``.canceled``."""

    subscription_id: uuid.UUID
    workspace_id: uuid.UUID
    tier_code: str
    status: SubscriptionStatus
    limits: TierLimits = TierLimits()
    current_period_start: AwareDatetime | None = None
    current_period_end: AwareDatetime | None = None
    cancel_at_period_end: bool = False
    version: int = 0


class UsageThresholdCrossed(EventData):
    """A workspace's monthly AI tokens crossed ``threshold_percent`` of its tier's
    ``ai_tokens_monthly``; published once per threshold per period."""

    workspace_id: uuid.UUID
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    threshold_percent: Literal[80, 100]
    tokens_used: int = Field(ge=0)
    limit: int = Field(ge=0)
    tier_code: str | None = None


class UserChanged(EventData):
    """Data of ``user.created`` / ``user.updated``."""

    user_id: uuid.UUID
    email: str
    name: str
    role: str
    is_active: bool
    # Bumped by a role, active or password change; tokens issued before are refused.
    auth_version: int = 0


class TierChanged(EventData):
    """Data of ``tier.created`` / ``tier.updated`` / ``tier.deleted``."""

    tier_id: uuid.UUID
    code: str
    name: str
    price_monthly: str
    limits: TierLimits
    is_active: bool


class BillingAccountChanged(EventData):
    """Data of ``billing_account.created`` / ``billing_account.updated``."""

    billing_account_id: uuid.UUID
    workspace_id: uuid.UUID
    email: str | None
    country: str | None
    stripe_customer_id: str | None
