"""The domain events core-api writes to the outbox, and the data of the
types only core-api publishes (the shared ones live in
``sendfx_shared.events.core``)."""

import uuid
from typing import Final

from pydantic import BaseModel, ConfigDict

from core_api.db import Db
from sendfx_shared.events.core import TierLimits
from sendfx_shared.events.envelope import new_event
from sendfx_shared.outbox.postgres import PostgresOutbox, enqueue
from sendfx_shared.topics import CORE_EVENTS

SOURCE: Final = "/sendfx/core-api"
# core-api's own outbox (0001_core_schema.sql), relayed by core-api only.
CORE_API_OUTBOX: Final = PostgresOutbox(
    table="core.outbox", dead_table="core.outbox_dead", channel="core_outbox", lock_key=0x4F555442
)
BILLING_ACCOUNT_CREATED: Final = "billing_account.created"
TIER_DELETED: Final = "tier.deleted"


class UserChanged(BaseModel):
    """Data of ``user.created`` / ``user.updated``."""

    model_config = ConfigDict(frozen=True)

    user_id: uuid.UUID
    email: str
    name: str
    role: str
    is_active: bool


class TierChanged(BaseModel):
    """Data of ``tier.created`` / ``tier.updated`` / ``tier.deleted``."""

    model_config = ConfigDict(frozen=True)

    tier_id: uuid.UUID
    code: str
    name: str
    price_monthly: str
    limits: TierLimits
    is_active: bool


class BillingAccountChanged(BaseModel):
    """Data of ``billing_account.created`` / ``billing_account.updated``."""

    model_config = ConfigDict(frozen=True)

    billing_account_id: uuid.UUID
    workspace_id: uuid.UUID
    email: str | None
    country: str | None
    stripe_customer_id: str | None


async def emit(connection: Db, event_type: str, key: uuid.UUID, data: BaseModel) -> None:
    """Write the event to the outbox, in the caller's transaction; keyed by the
    aggregate id (the workspace for anything scoped to one)."""
    event = new_event(source=SOURCE, type=event_type, data=data, subject=str(key))
    await enqueue(connection, CORE_API_OUTBOX, topic=CORE_EVENTS, key=str(key), event=event)
