"""Transactions for service functions, with database errors turned into
problems at this one boundary: a unique, exclusion or foreign-key violation
is a 409, a check violation a 422, never a 500."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from sendfx_shared.outbox.postgres import Db
from sendfx_shared.problems import Conflict, ProblemError

__all__ = ["Db", "reading", "transaction"]

_CONSTRAINT_MESSAGES = {
    "users_email_key": "a user with this email already exists",
    "workspaces_slug_key": "a workspace with this slug already exists",
    "workspace_members_workspace_id_user_id_key": "this user is already a member",
    "workspace_members_one_owner": "the workspace already has an owner",
    "tiers_code_key": "a tier with this code already exists",
    "subscriptions_one_live": "the workspace already has a live subscription",
    "model_prices_model_tier_effective_from_key": (
        "a price for this model, service tier and date already exists"
    ),
    "billing_accounts_stripe_customer_id_key": "this Stripe customer is already in use",
}


def _describe(error: asyncpg.IntegrityConstraintViolationError) -> str:
    name = getattr(error, "constraint_name", None) or ""
    return _CONSTRAINT_MESSAGES.get(name, f"conflicts with existing data ({name or 'constraint'})")


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[Db]:
    async with pool.acquire() as connection:
        try:
            async with connection.transaction():
                yield connection
        except (asyncpg.UniqueViolationError, asyncpg.ExclusionViolationError) as exc:
            raise Conflict(_describe(exc)) from exc
        except asyncpg.ForeignKeyViolationError as exc:
            raise Conflict("refers to a record that does not exist or is still in use") from exc
        except asyncpg.CheckViolationError as exc:
            raise ProblemError(422, f"a value is out of range ({exc.constraint_name})") from exc
        except asyncpg.DataError as exc:
            raise ProblemError(422, "a value cannot be stored", kind="invalid-value") from exc


@asynccontextmanager
async def reading(pool: asyncpg.Pool) -> AsyncIterator[Db]:
    """A connection for reads only: no BEGIN/COMMIT round trips."""
    async with pool.acquire() as connection:
        yield connection
