"""Fixtures of the feature-api tests.

One feature-api app per session, served by uvicorn from a background thread
(its own event loop) against the session's real SecantusDB database, Tansu
topics (prefixed) and the fake OpenAI server; tests talk to it over HTTP
with httpx and look at the database and topics with their own clients.
"""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.main import create_app
from feature_api.projection import apply_core_event
from feature_api.settings import FeatureSettings
from sendfx_dev.fake_openai import ThreadedFakeOpenAI
from sendfx_dev.ports import free_port
from sendfx_dev.testing.infra import TestInfra
from sendfx_dev.testing.threaded import ThreadedServer
from sendfx_dev.testing.topics import read_topic_once
from sendfx_shared.auth import Principal, TokenIssuer
from sendfx_shared.events.core import (
    SUBSCRIPTION_CREATED,
    WORKSPACE_CREATED,
    WORKSPACE_MEMBER_ADDED,
    SubscriptionChanged,
    TierLimits,
    WorkspaceChanged,
    WorkspaceMemberChanged,
)
from sendfx_shared.events.envelope import CloudEvent, new_event
from sendfx_shared.keys import SigningKeys

Document = dict[str, Any]
CORE_SOURCE = "/sendfx/core-api"


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[ThreadedFakeOpenAI]:
    with ThreadedFakeOpenAI(free_port()) as server:
        yield server


@pytest.fixture(scope="session")
def token_keys() -> SigningKeys:
    """The tests' stand-in for core-api's signing key; feature-api is given
    only its public half (``JWT_JWKS``), as it would fetch it from core-api."""
    return SigningKeys.generate()


@pytest.fixture(scope="session")
def feature_settings(
    sendfx_infra: TestInfra,
    kafka_bootstrap_servers: str,
    topic_prefix: str,
    fake_openai: ThreadedFakeOpenAI,
    token_keys: SigningKeys,
) -> FeatureSettings:
    return FeatureSettings(
        jwt_jwks=json.dumps(token_keys.jwks()),
        # as feature-api's own user: readWrite on the session's database only
        mongo_url=sendfx_infra.mongo_url_for("feature-api"),
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        kafka_topic_prefix=topic_prefix,
        openai_base_url=fake_openai.base_url,
        openai_api_key="sk-test",
        openai_timeout_seconds=1.5,
        openai_max_retries=1,
        outbox_poll_seconds=0.2,
        projection_group=f"{topic_prefix}feature-api",
        ai_history_messages=4,
    )


class ThreadedApp(ThreadedServer):
    """feature-api served by uvicorn from a daemon thread."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(app, free_port(), name="feature-api")
        self.base_url = self.url


@pytest.fixture(scope="session")
def feature_app(feature_settings: FeatureSettings) -> Iterator[ThreadedApp]:
    with ThreadedApp(create_app(feature_settings)) as running:
        yield running


@pytest.fixture(scope="session")
async def http(feature_app: ThreadedApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=feature_app.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
async def db(feature_settings: FeatureSettings) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(feature_settings.mongo_url, tz_aware=True)
    yield client[feature_settings.mongo_database]
    await client.close()


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    headers: dict[str, str]


@dataclass(frozen=True)
class Workspace:
    id: uuid.UUID
    owner: Actor
    tier_code: str = "starter"


Authorize = Callable[..., Actor]


@pytest.fixture(scope="session")
def authorize(feature_settings: FeatureSettings, token_keys: SigningKeys) -> Authorize:
    issuer = TokenIssuer(token_keys, feature_settings.jwt_issuer, ("feature-api",))

    def make(role: str = "user", user_id: uuid.UUID | None = None, version: int = 0) -> Actor:
        principal = Principal(
            user_id=user_id or uuid.uuid4(),
            email=f"{uuid.uuid4().hex[:8]}@example.com",
            role=role,  # type: ignore[arg-type]
            version=version,
        )
        token, _ = issuer.issue(principal)
        return Actor(principal.user_id, {"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture(scope="session")
def admin(authorize: Authorize) -> Actor:
    return authorize("admin")


def core_event(type: str, data: Any, **kwargs: Any) -> CloudEvent[dict[str, Any]]:
    return CloudEvent[dict[str, Any]].model_validate(
        new_event(
            source=CORE_SOURCE, type=type, data=data.model_dump(mode="json"), **kwargs
        ).model_dump()
    )


MakeWorkspace = Callable[..., Awaitable[Workspace]]


@pytest.fixture(scope="session")
def make_workspace(db: AsyncDatabase[Document], authorize: Authorize) -> MakeWorkspace:
    """A workspace with an owner, seeded in the read model by applying the
    core events the projection would receive."""

    async def make(
        tier_code: str = "starter",
        ai_tokens_monthly: int = 100_000,
        models: list[str] | None = None,
        flows: int = 100,
    ) -> Workspace:
        owner = authorize()
        wid = uuid.uuid4()
        limits = TierLimits(
            ai_tokens_monthly=ai_tokens_monthly, flows=flows, members=10, models=models
        )
        for event in (
            core_event(
                WORKSPACE_CREATED,
                WorkspaceChanged(
                    workspace_id=wid,
                    name="Acme",
                    slug=f"acme-{wid.hex[:6]}",
                    owner_id=owner.user_id,
                    tier_code=tier_code,
                    limits=limits,
                    version=1,
                ),
            ),
            core_event(
                WORKSPACE_MEMBER_ADDED,
                WorkspaceMemberChanged(
                    workspace_id=wid, user_id=owner.user_id, role="owner", version=1
                ),
            ),
            core_event(
                SUBSCRIPTION_CREATED,
                SubscriptionChanged(
                    subscription_id=uuid.uuid4(),
                    workspace_id=wid,
                    tier_code=tier_code,
                    status="active",
                    limits=limits,
                    version=1,
                ),
            ),
        ):
            await apply_core_event(db, event)
        return Workspace(wid, owner, tier_code)

    return make


@pytest.fixture
async def workspace(make_workspace: MakeWorkspace) -> Workspace:
    return await make_workspace()


@pytest.fixture
async def stranger(authorize: Authorize) -> Actor:
    """A signed-in user who is a member of no workspace."""
    return authorize()


ReadTopic = Callable[..., Awaitable[list[Document]]]


@pytest.fixture(scope="session")
def read_topic(kafka_bootstrap_servers: str, topic_prefix: str) -> ReadTopic:
    """Every event on ``topic`` (unprefixed name) matching ``where``, waiting
    up to ``timeout`` seconds for at least ``at_least`` of them."""

    async def read(
        topic: str,
        where: Callable[[Document], bool] = lambda _: True,
        at_least: int = 1,
        wait_seconds: float = 20.0,
    ) -> list[Document]:
        name = f"{topic_prefix}{topic}"
        deadline = time.monotonic() + wait_seconds
        while True:
            # A fresh consumer each round: one that first looked before the
            # topic existed keeps seeing it empty on Tansu.
            messages = await read_topic_once(kafka_bootstrap_servers, name)
            found = [e for e in ({**v, "_key": k} for k, v in messages) if where(e)]
            if len(found) >= at_least or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.3)

    return read
