import logging
import uuid

import asyncpg

from core_api import passwords
from core_api.db import Db, reading, transaction
from core_api.events import emit
from core_api.repositories import users as users_repo
from core_api.schemas import MeUpdateIn, RegisterIn, TokenOut, UserOut
from core_api.services import sessions, throttle
from core_api.settings import CoreApiSettings
from sendfx_shared.auth import Principal
from sendfx_shared.events import core as core_events
from sendfx_shared.events.core import UserChanged
from sendfx_shared.problems import NotFound, Unauthorized

log = logging.getLogger(__name__)


def user_changed(row: asyncpg.Record) -> UserChanged:
    return UserChanged(
        user_id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        is_active=row["is_active"],
        auth_version=row["auth_version"],
    )


async def create_user(db: Db, body: RegisterIn, role: str = "user") -> UserOut:
    password_hash = await passwords.hash_password(body.password)
    row = await users_repo.insert_user(
        db, email=body.email, password_hash=password_hash, name=body.name, role=role
    )
    await emit(db, core_events.USER_CREATED, row["id"], user_changed(row))
    return UserOut.model_validate(dict(row))


async def register(pool: asyncpg.Pool, body: RegisterIn) -> UserOut:
    async with transaction(pool) as db:
        return await create_user(db, body)


async def login(
    pool: asyncpg.Pool, email: str, password: str, address: str, settings: CoreApiSettings
) -> TokenOut:
    attempt = throttle.LoginAttempt(email, address)
    await throttle.refuse_if_blocked(pool, attempt)
    async with reading(pool) as db:
        row = await users_repo.get_user_by_email(db, email)
    stored = row["password_hash"] if row is not None else None
    check = await passwords.verify_password(stored, password)
    if row is None or not check.ok or not row["is_active"]:
        await throttle.failed(pool, attempt, settings)
        raise Unauthorized("the email or password is not correct")
    await throttle.succeeded(pool, attempt)
    if check.needs_rehash:
        # Legacy bcrypt (or outdated argon2 parameters): upgrade in place. The
        # guard on the old hash keeps a concurrent password change intact.
        new_hash = await passwords.hash_password(password)
        async with transaction(pool) as db:
            rehashed = await users_repo.set_password_hash_if_unchanged(
                db, row["id"], stored or "", new_hash
            )
        # A new hash moves the auth version on; the token carries the new one.
        row = rehashed or row
    return await sessions.start(pool, row, settings)


async def me(pool: asyncpg.Pool, principal: Principal) -> UserOut:
    async with reading(pool) as db:
        row = await users_repo.get_user(db, principal.user_id)
    if row is None:
        raise NotFound("user")
    return UserOut.model_validate(dict(row))


async def update_me(pool: asyncpg.Pool, principal: Principal, body: MeUpdateIn) -> UserOut:
    changes: dict[str, object] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.password is not None:
        changes["password_hash"] = await passwords.hash_password(body.password)
    return await update_user(pool, principal.user_id, changes)


async def update_user(
    pool: asyncpg.Pool, user_id: uuid.UUID, changes: dict[str, object]
) -> UserOut:
    async with transaction(pool) as db:
        row = await users_repo.update_user(db, user_id, changes)
        if row is None:
            raise NotFound("user")
        if changes:
            await emit(db, core_events.USER_UPDATED, row["id"], user_changed(row))
    return UserOut.model_validate(dict(row))


async def seed_admin(pool: asyncpg.Pool, email: str, password: str) -> bool:
    """Create the platform admin if missing; True when this call created it."""
    password_hash = await passwords.hash_password(password)
    async with transaction(pool) as db:
        row = await users_repo.insert_user_if_absent(
            db, email=email, password_hash=password_hash, name="Platform admin", role="admin"
        )
        if row is not None:
            await emit(db, core_events.USER_CREATED, row["id"], user_changed(row))
    return row is not None
