"""The usage-ingestor's HTTP app in-process, over the module's running ingestor,
and access tokens as core-api issues them."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from sendfx_shared.auth import PlatformRole, Principal, TokenIssuer
from sendfx_shared.keys import SigningKeys
from usage_ingestor.app import Ingestor, build_app
from usage_ingestor.settings import PROCESS_NAME

# The tests' stand-in for core-api's signing key: the ingestor is given only
# its public half (``JWT_JWKS``), as it would fetch it from core-api.
TOKEN_KEYS = SigningKeys.generate()
TOKEN_JWKS = json.dumps(TOKEN_KEYS.jwks())


def bearer(
    ingestor: Ingestor,
    role: PlatformRole = "admin",
    user_id: uuid.UUID | None = None,
    version: int = 0,
) -> dict[str, str]:
    principal = Principal(
        user_id=user_id or uuid.uuid4(), email=f"{role}@example.com", role=role, version=version
    )
    issuer = TokenIssuer(TOKEN_KEYS, ingestor.settings.jwt_issuer, (PROCESS_NAME,))
    token, _ = issuer.issue(principal)
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def http_client(ingestor: Ingestor) -> AsyncIterator[httpx.AsyncClient]:
    """The app's routes, served from ``ingestor`` (the lifespan is not run: the
    module's ingestor is already consuming)."""
    app = build_app(ingestor.settings)
    app.state.ingestor = ingestor
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingestor") as client:
        yield client
