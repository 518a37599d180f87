"""The usage-ingestor's HTTP app in-process, over the module's running ingestor,
and access tokens as core-api issues them."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from sendfx_shared.auth import PlatformRole, Principal, issue_access_token
from usage_ingestor.app import Ingestor, build_app


def bearer(ingestor: Ingestor, role: PlatformRole = "admin") -> dict[str, str]:
    principal = Principal(user_id=uuid.uuid4(), email=f"{role}@example.com", role=role)
    token, _ = issue_access_token(principal, ingestor.settings)
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
