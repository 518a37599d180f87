"""Sessions: a short-lived access token and a rotating refresh token.

A refresh token is 32 random bytes the client keeps; core-api stores only its
SHA-256 (enough for a random secret: nothing to guess). A refresh marks the
token rotated and issues the next one in its family; a rotated (or revoked)
token presented again means a copy leaked, so the whole family is revoked.
Logout revokes the family. Deactivation and password changes revoke every
family of the user (a trigger on ``core.users``, migration 0020).
"""

import hashlib
import secrets
import uuid
from datetime import timedelta

import asyncpg

from core_api.db import Db, transaction
from core_api.repositories import sessions as sessions_repo
from core_api.repositories import users as users_repo
from core_api.schemas import TokenOut
from core_api.settings import CoreApiSettings
from sendfx_shared.auth import Principal, TokenIssuer
from sendfx_shared.events.envelope import utc_now
from sendfx_shared.problems import Unauthorized


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def token_issuer(settings: CoreApiSettings) -> TokenIssuer:
    return TokenIssuer(
        settings.signing_keys,
        settings.jwt_issuer,
        settings.jwt_audiences,
        settings.access_token_seconds,
    )


def principal_of(user: asyncpg.Record) -> Principal:
    return Principal(
        user_id=user["id"], email=user["email"], role=user["role"], version=user["auth_version"]
    )


async def _issue(
    db: Db, user: asyncpg.Record, family_id: uuid.UUID, settings: CoreApiSettings
) -> TokenOut:
    refresh = secrets.token_urlsafe(32)
    await sessions_repo.insert(
        db,
        family_id=family_id,
        user_id=user["id"],
        token_hash=_hash(refresh),
        expires_at=utc_now() + timedelta(days=settings.refresh_token_days),
    )
    access, ttl = token_issuer(settings).issue(principal_of(user))
    return TokenOut(access_token=access, expires_in=ttl, refresh_token=refresh)


async def start(pool: asyncpg.Pool, user: asyncpg.Record, settings: CoreApiSettings) -> TokenOut:
    """A new session (a new family) for a user who just proved who they are."""
    async with transaction(pool) as db:
        return await _issue(db, user, uuid.uuid4(), settings)


async def refresh(pool: asyncpg.Pool, token: str, settings: CoreApiSettings) -> TokenOut:
    issued: TokenOut | None = None
    async with transaction(pool) as db:
        row = await sessions_repo.lock_by_hash(db, _hash(token))
        if row is None or row["expired"]:
            pass
        elif row["rotated_at"] is not None or row["revoked_at"] is not None:
            # Reuse after rotation: a copy is in someone else's hands.
            await sessions_repo.revoke_family(db, row["family_id"])
        else:
            user = await users_repo.get_user(db, row["user_id"])
            if user is None or not user["is_active"]:
                await sessions_repo.revoke_family(db, row["family_id"])
            else:
                await sessions_repo.mark_rotated(db, row["id"])
                issued = await _issue(db, user, row["family_id"], settings)
    # Raised after the commit, so a revocation above stays.
    if issued is None:
        raise Unauthorized("the refresh token is not valid")
    return issued


async def logout(pool: asyncpg.Pool, token: str) -> None:
    """Ends the token's session; an unknown token is already logged out."""
    async with transaction(pool) as db:
        family = await sessions_repo.family_of(db, _hash(token))
        if family is not None:
            await sessions_repo.revoke_family(db, family)


async def check_current(pool: asyncpg.Pool, principal: Principal) -> None:
    """Per request: the token's user is still active, with the same role and
    auth version (a deactivation, role or password change bumps it)."""
    async with pool.acquire() as db:
        row = await users_repo.auth_state(db, principal.user_id)
    if (
        row is None
        or not row["is_active"]
        or row["role"] != principal.role
        or row["auth_version"] != principal.version
    ):
        raise Unauthorized("the access token has been revoked")
