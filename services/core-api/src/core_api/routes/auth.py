"""Register, log in, refresh, log out, the public token keys, and me."""

from typing import Any

from fastapi import APIRouter, Request, Response

from core_api.routes.deps import DbPool, Settings
from core_api.schemas import LoginIn, MeUpdateIn, RefreshIn, RegisterIn, TokenOut, UserOut
from core_api.services import auth, sessions
from sendfx_shared.auth import CurrentPrincipal
from sendfx_shared.http import client_address

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/register", status_code=201)
async def register(body: RegisterIn, pool: DbPool) -> UserOut:
    return await auth.register(pool, body)


@router.post(
    "/login",
    responses={
        401: {"description": "the email or password is not correct"},
        429: {"description": "too many failed logins: `Retry-After` says when to try again"},
    },
)
async def login(body: LoginIn, request: Request, pool: DbPool, settings: Settings) -> TokenOut:
    address = client_address(request, settings.trusted_proxies)
    return await auth.login(pool, body.email, body.password, address, settings)


@router.post("/refresh")
async def refresh(body: RefreshIn, pool: DbPool, settings: Settings) -> TokenOut:
    return await sessions.refresh(pool, body.refresh_token, settings)


@router.post("/logout", status_code=204)
async def logout(body: RefreshIn, pool: DbPool) -> Response:
    await sessions.logout(pool, body.refresh_token)
    return Response(status_code=204)


@router.get("/jwks")
async def jwks(settings: Settings, response: Response) -> dict[str, Any]:
    """The public keys access tokens are signed with (current and retired)."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return settings.signing_keys.jwks()


@router.get("/me")
async def me(principal: CurrentPrincipal, pool: DbPool) -> UserOut:
    return await auth.me(pool, principal)


@router.patch("/me")
async def update_me(body: MeUpdateIn, principal: CurrentPrincipal, pool: DbPool) -> UserOut:
    return await auth.update_me(pool, principal, body)
