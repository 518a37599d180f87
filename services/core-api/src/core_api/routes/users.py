import uuid

from fastapi import APIRouter

from core_api.routes.deps import DbPool
from core_api.schemas import AdminUserCreateIn, AdminUserUpdateIn, UserOut
from core_api.services import users
from sendfx_shared.auth import CurrentAdmin
from sendfx_shared.pagination import Page, Paging

router = APIRouter(prefix="/api/admin/users", tags=["admin: users"])


@router.get("")
async def list_users(_: CurrentAdmin, pool: DbPool, page: Paging) -> Page[UserOut]:
    return await users.list_users(pool, page)


@router.post("", status_code=201)
async def create_user(body: AdminUserCreateIn, _: CurrentAdmin, pool: DbPool) -> UserOut:
    return await users.create_user(pool, body)


@router.get("/{user_id}")
async def get_user(user_id: uuid.UUID, _: CurrentAdmin, pool: DbPool) -> UserOut:
    return await users.get_user(pool, user_id)


@router.patch("/{user_id}")
async def update_user(
    user_id: uuid.UUID, body: AdminUserUpdateIn, _: CurrentAdmin, pool: DbPool
) -> UserOut:
    return await users.update_user(pool, user_id, body)
