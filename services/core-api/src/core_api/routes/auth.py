from fastapi import APIRouter

from core_api.routes.deps import DbPool, Settings
from core_api.schemas import LoginIn, MeUpdateIn, RegisterIn, TokenOut, UserOut
from core_api.services import auth
from sendfx_shared.auth import CurrentPrincipal

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/register", status_code=201)
async def register(body: RegisterIn, pool: DbPool) -> UserOut:
    return await auth.register(pool, body)


@router.post("/login")
async def login(body: LoginIn, pool: DbPool, settings: Settings) -> TokenOut:
    return await auth.login(pool, body.email, body.password, settings)


@router.get("/me")
async def me(principal: CurrentPrincipal, pool: DbPool) -> UserOut:
    return await auth.me(pool, principal)


@router.patch("/me")
async def update_me(body: MeUpdateIn, principal: CurrentPrincipal, pool: DbPool) -> UserOut:
    return await auth.update_me(pool, principal, body)
