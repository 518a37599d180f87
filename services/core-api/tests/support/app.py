"""core-api in-process on the session's real PostgreSQL and broker; a client,
users with tokens, workspaces, members and a tier."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from core_api.main import create_app
from core_api.settings import ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD, CoreApiSettings
from sendfx_dev.testing.infra import TestInfra

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def core_settings(
    sendfx_infra: TestInfra, kafka_bootstrap_servers: str, topic_prefix: str
) -> CoreApiSettings:
    return CoreApiSettings(
        postgres_url=sendfx_infra.postgres_url_for("core-api"),
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        kafka_topic_prefix=topic_prefix,
        outbox_poll_seconds=0.5,
    )


@pytest.fixture(scope="session")
async def core_app(core_settings: CoreApiSettings) -> AsyncIterator[FastAPI]:
    app = create_app(core_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def client(core_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=core_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://core-api") as c:
        yield c


@dataclass
class Actor:
    """A registered, logged-in user."""

    id: uuid.UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def login(client: httpx.AsyncClient, email: str, password: str) -> str:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture(scope="session")
def log_in(client: httpx.AsyncClient) -> Callable[[str, str], Any]:
    """``await log_in(email, password)``: an access token."""
    return lambda email, password: login(client, email, password)


@pytest.fixture(scope="session")
def actor_of() -> Callable[[uuid.UUID, str, str], Actor]:
    return Actor


@pytest.fixture(scope="session")
async def admin(client: httpx.AsyncClient) -> Actor:
    token = await login(client, ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD)
    me = (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})).json()
    return Actor(uuid.UUID(me["id"]), ADMIN_EMAIL, token)


NewUser = Callable[..., Any]


@pytest.fixture(scope="session")
def new_user(client: httpx.AsyncClient) -> NewUser:
    """``await new_user()``: a fresh registered user with a token."""

    async def make(name: str = "user") -> Actor:
        email = f"{name}-{uuid.uuid4().hex[:10]}@example.com"
        response = await client.post(
            "/api/auth/register", json={"email": email, "password": PASSWORD, "name": name}
        )
        assert response.status_code == 201, response.text
        return Actor(uuid.UUID(response.json()["id"]), email, await login(client, email, PASSWORD))

    return make


NewWorkspace = Callable[..., Any]


@pytest.fixture(scope="session")
def new_workspace(client: httpx.AsyncClient) -> NewWorkspace:
    """``await new_workspace(owner)``: the created workspace's JSON."""

    async def make(owner: Actor, name: str = "Acme") -> dict[str, Any]:
        response = await client.post("/api/workspaces", json={"name": name}, headers=owner.headers)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return make


@pytest.fixture(scope="session")
def add_member(client: httpx.AsyncClient) -> Callable[..., Any]:
    """``await add_member(by, workspace_id, user, role="member")``: the member JSON."""

    async def add(by: Actor, workspace_id: str, user: Actor, role: str = "member") -> Any:
        response = await client.post(
            f"/api/workspaces/{workspace_id}/members",
            json={"email": user.email, "role": role},
            headers=by.headers,
        )
        assert response.status_code == 201, response.text
        return response.json()

    return add


@pytest.fixture(scope="session")
async def tier(client: httpx.AsyncClient, admin: Actor) -> dict[str, Any]:
    """An active tier with limits, for subscriptions."""
    response = await client.post(
        "/api/admin/tiers",
        json={
            "code": f"pro-{uuid.uuid4().hex[:6]}",
            "name": "Pro",
            "price_monthly": 49.5,
            "limits": {"ai_tokens_monthly": 1_000_000, "flows": 20, "members": 10},
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
