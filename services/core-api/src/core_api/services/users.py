import uuid

import asyncpg

from core_api.db import reading, transaction
from core_api.repositories import users as users_repo
from core_api.repositories.paging import page_of, parse_cursor
from core_api.schemas import AdminUserCreateIn, AdminUserUpdateIn, UserOut
from core_api.services import auth
from sendfx_shared.pagination import Page, PageRequest
from sendfx_shared.problems import NotFound


async def list_users(pool: asyncpg.Pool, page: PageRequest) -> Page[UserOut]:
    async with reading(pool) as db:
        records = await users_repo.list_users(db, parse_cursor(page.cursor), page.limit)
    rows, next_cursor = page_of(records, page.limit)
    return Page[UserOut](items=[UserOut.model_validate(r) for r in rows], next_cursor=next_cursor)


async def get_user(pool: asyncpg.Pool, user_id: uuid.UUID) -> UserOut:
    async with reading(pool) as db:
        row = await users_repo.get_user(db, user_id)
    if row is None:
        raise NotFound("user")
    return UserOut.model_validate(dict(row))


async def create_user(pool: asyncpg.Pool, body: AdminUserCreateIn) -> UserOut:
    async with transaction(pool) as db:
        return await auth.create_user(db, body, role=body.role)


async def update_user(pool: asyncpg.Pool, user_id: uuid.UUID, body: AdminUserUpdateIn) -> UserOut:
    return await auth.update_user(pool, user_id, body.model_dump(exclude_none=True))
