"""Transactions for service functions, with database errors turned into
problems at this one boundary: a unique, exclusion or foreign-key violation
is a 409, a check violation a 422, never a 500."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from sendfx_shared.outbox.postgres import Db
from sendfx_shared.problems import Conflict, ProblemError, current_request_id

log = logging.getLogger("core_api.db")

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


def _logged(error: asyncpg.PostgresError) -> None:
    """The database's own text goes to the log (with the request id), never
    to the client, which gets the sentence of its problem."""
    log.warning("request %s: database refused: %s", current_request_id.get(), error)


def _describe(error: asyncpg.IntegrityConstraintViolationError) -> str:
    _logged(error)
    name = getattr(error, "constraint_name", None) or ""
    return _CONSTRAINT_MESSAGES.get(name, "conflicts with existing data")


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[Db]:
    async with pool.acquire() as connection:
        try:
            async with connection.transaction():
                yield connection
        except (asyncpg.UniqueViolationError, asyncpg.ExclusionViolationError) as exc:
            raise Conflict(_describe(exc)) from exc
        except asyncpg.ForeignKeyViolationError as exc:
            _logged(exc)
            raise Conflict("refers to a record that does not exist or is still in use") from exc
        except asyncpg.CheckViolationError as exc:
            _logged(exc)
            raise ProblemError(422, "a value is out of range") from exc
        except asyncpg.DataError as exc:
            _logged(exc)
            raise ProblemError(422, "a value cannot be stored", kind="invalid-value") from exc


@asynccontextmanager
async def reading(pool: asyncpg.Pool) -> AsyncIterator[Db]:
    """A connection for reads only: no BEGIN/COMMIT round trips."""
    async with pool.acquire() as connection:
        yield connection
