"""Data of the ``core.events`` topic that other services act on.

core-api (and the usage-ingestor, for ``usage.*``) publish these; feature-api
keeps its read model of workspaces, members and quotas from them. Types not
modelled here are still published (every state change has an event) and are
ignored by consumers that do not need them.
"""

import uuid
from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

WorkspaceRole = Literal["owner", "admin", "member"]

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
BILLING_ACCOUNT_UPDATED: Final = "billing_account.updated"
SUBSCRIPTION_CREATED: Final = "subscription.created"
SUBSCRIPTION_CHANGED: Final = "subscription.changed"
SUBSCRIPTION_CANCELED: Final = "subscription.canceled"
USAGE_THRESHOLD_CROSSED: Final = "usage.threshold_crossed"


class _CoreData(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class TierLimits(_CoreData):
    ai_tokens_monthly: int | None = Field(default=None, ge=0)
    flows: int | None = Field(default=None, ge=0)
    members: int | None = Field(default=None, ge=0)


class WorkspaceChanged(_CoreData):
    """Data of ``workspace.created`` / ``workspace.updated`` / ``workspace.deleted``."""

    workspace_id: uuid.UUID
    name: str
    slug: str
    owner_id: uuid.UUID | None = None
    tier_code: str | None = None
    limits: TierLimits = TierLimits()
    version: int = Field(default=0, description="monotonic per workspace; orders replays")


class WorkspaceMemberChanged(_CoreData):
    """Data of ``workspace_member.added`` / ``.role_changed`` / ``.removed``."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID
    role: WorkspaceRole
    version: int = 0


class SubscriptionChanged(_CoreData):
    """Data of ``subscription.created`` / ``.changed`` / ``.canceled``."""

    subscription_id: uuid.UUID
    workspace_id: uuid.UUID
    tier_code: str
    status: Literal["trialing", "active", "past_due", "canceled"]
    limits: TierLimits = TierLimits()
    current_period_start: AwareDatetime | None = None
    current_period_end: AwareDatetime | None = None
    cancel_at_period_end: bool = False
    version: int = 0


class UsageThresholdCrossed(_CoreData):
    """A workspace's monthly AI tokens crossed ``threshold_percent`` of its tier's
    ``ai_tokens_monthly``; published once per threshold per period."""

    workspace_id: uuid.UUID
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    threshold_percent: Literal[80, 100]
    tokens_used: int = Field(ge=0)
    limit: int = Field(ge=0)
    tier_code: str | None = None
