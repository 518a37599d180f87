import uuid

import asyncpg

from core_api.db import reading, transaction
from core_api.events import emit
from core_api.repositories import billing as billing_repo
from core_api.schemas import BillingAccountIn, BillingAccountOut
from core_api.services.access import workspace_access
from sendfx_shared.auth import Principal
from sendfx_shared.events import core as core_events
from sendfx_shared.events.core import BILLING_ACCOUNT_CREATED, BillingAccountChanged
from sendfx_shared.problems import NotFound


async def get_billing_account(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID
) -> BillingAccountOut:
    async with reading(pool) as db:
        await workspace_access(db, principal, workspace_id)
        row = await billing_repo.get_billing_account(db, workspace_id)
    if row is None:
        raise NotFound("billing account")
    return BillingAccountOut.model_validate(dict(row))


async def put_billing_account(
    pool: asyncpg.Pool, principal: Principal, workspace_id: uuid.UUID, body: BillingAccountIn
) -> tuple[BillingAccountOut, bool]:
    """The account and whether it was created."""
    async with transaction(pool) as db:
        await workspace_access(db, principal, workspace_id, manage=True, lock=True)
        row, created = await billing_repo.upsert_billing_account(
            db,
            workspace_id,
            email=body.email,
            country=body.country,
            stripe_customer_id=body.stripe_customer_id,
        )
        await emit(
            db,
            BILLING_ACCOUNT_CREATED if created else core_events.BILLING_ACCOUNT_UPDATED,
            workspace_id,
            BillingAccountChanged(
                billing_account_id=row["id"],
                workspace_id=workspace_id,
                email=row["email"],
                country=row["country"],
                stripe_customer_id=row["stripe_customer_id"],
            ),
        )
    return BillingAccountOut.model_validate(dict(row)), created
