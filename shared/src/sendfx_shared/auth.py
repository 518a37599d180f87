"""JWT access tokens: signed by core-api (EdDSA), verified by every HTTP service.

A verifier holds public keys only (``sendfx_shared.keys``): core-api's JWKS,
fetched from ``JWT_JWKS_URL`` and cached, or given as ``JWT_JWKS``. A token
names the services it is for in ``aud`` and each verifier accepts only tokens
that list its own name. Access tokens live at most 15 minutes; ``ver`` is the
user's auth version when the token was issued, which a service compares with
what it knows of the user (``PrincipalCheck``) so that a deactivation, role
change or password change stops older tokens at once. Workspace roles are not
in the token (they change); each service checks membership against its data.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal, Protocol

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from sendfx_shared.events.envelope import utc_now
from sendfx_shared.keys import ALGORITHM, SigningKeys, is_dev_jwk, is_dev_key, read_jwks
from sendfx_shared.problems import Forbidden, ProblemError, Unauthorized
from sendfx_shared.settings import AuthSettings

PlatformRole = Literal["user", "admin"]
ACCESS_TOKEN_MAX_SECONDS = 900


class Principal(BaseModel):
    """Who is calling: the verified content of an access token."""

    model_config = ConfigDict(frozen=True)

    user_id: uuid.UUID
    email: str
    role: PlatformRole
    # The user's auth version at issue (bumped by deactivation, role or password change).
    version: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def revoked_by(self, *, is_active: bool, auth_version: int) -> bool:
        """Whether what a verifier learnt of the user from ``user.*`` events
        revokes this token: a deactivation, or an auth version moved past the
        token's (a role or password change). Events may lag, so only a newer
        version counts; core-api, the source of truth, checks equality itself."""
        return not is_active or auth_version > self.version


@dataclass(frozen=True)
class TokenIssuer:
    """Signs access tokens; only core-api has one."""

    keys: SigningKeys
    issuer: str
    audiences: tuple[str, ...]
    ttl_seconds: int = ACCESS_TOKEN_MAX_SECONDS

    def issue(self, principal: Principal) -> tuple[str, int]:
        """The token and its lifetime in seconds."""
        now = utc_now()
        ttl = min(self.ttl_seconds, ACCESS_TOKEN_MAX_SECONDS)
        claims = {
            "sub": str(principal.user_id),
            "email": principal.email,
            "role": principal.role,
            "ver": principal.version,
            "iss": self.issuer,
            "aud": list(self.audiences),
            "iat": now,
            "exp": now + timedelta(seconds=ttl),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(
            claims, self.keys.private, algorithm=ALGORITHM, headers={"kid": self.keys.kid}
        )
        return token, ttl


class KeySource(Protocol):
    async def key_for(self, kid: str) -> jwt.PyJWK: ...


class StaticKeys:
    """Public keys given to the process (core-api's own, or ``JWT_JWKS``)."""

    def __init__(self, jwks: list[dict[str, object]], allow_development: bool) -> None:
        self._keys = {
            str(k["kid"]): jwt.PyJWK.from_dict(k)
            for k in jwks
            if "kid" in k and (allow_development or not is_dev_jwk(k))
        }

    async def key_for(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("the access token is not valid")
        return key


class RemoteKeys:
    """core-api's JWKS, fetched and cached; refetched when a token names a key
    not yet seen (how a rotation arrives), at most every ``refetch_seconds``
    (PyJWKClient's cooldown), so made-up ``kid``s cannot make every request a
    fetch."""

    def __init__(
        self, url: str, cache_seconds: int, allow_development: bool, refetch_seconds: float = 10
    ) -> None:
        self._client = jwt.PyJWKClient(
            url,
            cache_jwk_set=True,
            lifespan=cache_seconds,
            timeout=5,
            cooldown_duration=refetch_seconds,
        )
        self._allow_development = allow_development

    async def key_for(self, kid: str) -> jwt.PyJWK:
        cached = self._client.jwk_set_cache.get() if self._client.jwk_set_cache else None
        key = next((k for k in cached.keys if k.key_id == kid), None) if cached else None
        if key is None:
            try:
                # PyJWKClient is blocking (urllib): off the event loop.
                key = await asyncio.to_thread(self._client.get_signing_key, kid)
            except jwt.PyJWKClientConnectionError as exc:
                raise ProblemError(503, "the token keys cannot be fetched now") from exc
            except jwt.PyJWKClientError as exc:
                raise Unauthorized("the access token is not valid") from exc
        if not self._allow_development and is_dev_key(key.key_id, key.key):
            raise Unauthorized("the access token is not valid")
        return key


PrincipalCheck = Callable[[Principal], Awaitable[None]]


class Authenticator:
    """Verifies a bearer token for one service (its ``audience``)."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        check: PrincipalCheck | None = None,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.check = check

    async def authenticate(self, token: str) -> Principal:
        """The token's principal, once signature and claims hold and the
        service's revocation check has passed."""
        principal = await self.verify(token)
        await self.still_valid(principal)
        return principal

    async def still_valid(self, principal: Principal) -> None:
        if self.check is not None:
            await self.check(principal)

    async def verify(self, token: str) -> Principal:
        """The token's principal from its signature and claims alone (no
        revocation check)."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
                raise Unauthorized("the access token is not valid")
            key = await self.keys.key_for(header["kid"])
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
            principal = Principal(
                user_id=uuid.UUID(claims["sub"]),
                email=claims["email"],
                role=claims["role"],
                version=int(claims.get("ver", 0)),
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired") from exc
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            raise Unauthorized("the access token is not valid") from exc
        return principal


def authenticator_for(
    settings: AuthSettings, audience: str, check: PrincipalCheck | None = None
) -> Authenticator:
    """A verifier's authenticator: ``JWT_JWKS`` when given, else core-api's JWKS URL."""
    allow_dev = settings.development
    keys: KeySource = (
        StaticKeys(read_jwks(settings.jwt_jwks), allow_dev)
        if settings.jwt_jwks
        else RemoteKeys(settings.jwt_jwks_url, settings.jwt_jwks_cache_seconds, allow_dev)
    )
    return Authenticator(keys, issuer=settings.jwt_issuer, audience=audience, check=check)


_bearer = HTTPBearer(auto_error=False)


def authenticator_of(request: Request) -> Authenticator:
    authenticator = getattr(request.app.state, "authenticator", None)
    if not isinstance(authenticator, Authenticator):
        raise RuntimeError("app.state.authenticator must hold the service's Authenticator")
    return authenticator


async def verified_principal(request: Request, token: str) -> Principal:
    """The token's verified principal, its signature checked once per request
    however many dependencies ask (the rate limiter, then the route)."""
    cached = getattr(request.state, "sendfx_verified_token", None)
    if cached is not None and cached[0] == token:
        principal: Principal = cached[1]
        return principal
    principal = await authenticator_of(request).verify(token)
    request.state.sendfx_verified_token = (token, principal)
    return principal


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    principal = await verified_principal(request, credentials.credentials)
    await authenticator_of(request).still_valid(principal)
    return principal


async def current_admin(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("this route needs the admin role")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentAdmin = Annotated[Principal, Depends(current_admin)]
