import uuid

import asyncpg

from core_api.db import Db

_COLUMNS = (
    "id, workspace_id, email::text AS email, country, stripe_customer_id, created_at, updated_at"
)


async def get_billing_account(db: Db, workspace_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        f"SELECT {_COLUMNS} FROM core.billing_accounts WHERE workspace_id = $1", workspace_id
    )


async def upsert_billing_account(
    db: Db,
    workspace_id: uuid.UUID,
    *,
    email: str | None,
    country: str | None,
    stripe_customer_id: str | None,
) -> tuple[asyncpg.Record, bool]:
    """The account and whether it was created by this call."""
    row = await db.fetchrow(
        f"""INSERT INTO core.billing_accounts (workspace_id, email, country, stripe_customer_id)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (workspace_id) DO UPDATE
              SET email = EXCLUDED.email, country = EXCLUDED.country,
                  stripe_customer_id = EXCLUDED.stripe_customer_id
            RETURNING {_COLUMNS}, (xmax = 0) AS inserted""",
        workspace_id,
        email,
        country,
        stripe_customer_id,
    )
    assert row is not None
    return row, bool(row["inserted"])
