"""JWT access tokens: issued by core-api, verified by every HTTP service.

HS256 with a key every service is given (``JWT_SECRET``), so verifying a token
never calls back to core-api. Workspace roles are not in the token (they
change); each service checks membership against its own data.
"""

import uuid
from datetime import timedelta
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from sendfx_shared.events.envelope import utc_now
from sendfx_shared.problems import Forbidden, Unauthorized
from sendfx_shared.settings import AuthSettings

PlatformRole = Literal["user", "admin"]
_ALGORITHM = "HS256"


class Principal(BaseModel):
    """Who is calling: the verified content of an access token."""

    model_config = ConfigDict(frozen=True)

    user_id: uuid.UUID
    email: str
    role: PlatformRole

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def issue_access_token(principal: Principal, settings: AuthSettings) -> tuple[str, int]:
    """The token and its lifetime in seconds."""
    now = utc_now()
    claims = {
        "sub": str(principal.user_id),
        "email": principal.email,
        "role": principal.role,
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + timedelta(seconds=settings.jwt_ttl_seconds),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=_ALGORITHM), settings.jwt_ttl_seconds


def verify_access_token(token: str, settings: AuthSettings) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[_ALGORITHM],
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub", "iss"]},
        )
        return Principal(
            user_id=uuid.UUID(claims["sub"]), email=claims["email"], role=claims["role"]
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the access token has expired") from exc
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthorized("the access token is not valid") from exc


_bearer = HTTPBearer(auto_error=False)


def _auth_settings(request: Request) -> AuthSettings:
    settings = getattr(request.app.state, "auth_settings", None)
    if not isinstance(settings, AuthSettings):
        raise RuntimeError("app.state.auth_settings must hold the service's AuthSettings")
    return settings


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    return verify_access_token(credentials.credentials, _auth_settings(request))


async def current_admin(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("this route needs the admin role")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentAdmin = Annotated[Principal, Depends(current_admin)]
