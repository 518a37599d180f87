"""Per-user request rates in core-api, counted in PostgreSQL so that two
instances share one limit; 429 with Retry-After, other users unaffected."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core_api.main import create_app
from core_api.settings import CoreApiSettings


@pytest.fixture
async def two_instances(core_settings: CoreApiSettings) -> AsyncIterator[list[httpx.AsyncClient]]:
    throttled = core_settings.model_copy(
        update={"rate_limit_requests": 4, "rate_limit_window_seconds": 3600, "outbox_relay": False}
    )
    apps = [create_app(throttled), create_app(throttled)]
    async with (
        apps[0].router.lifespan_context(apps[0]),
        apps[1].router.lifespan_context(apps[1]),
    ):
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://core")
            for app in apps
        ]
        yield clients
        for client in clients:
            await client.aclose()


async def test_a_users_request_rate_holds_across_two_instances(
    two_instances: list[httpx.AsyncClient], new_user: Any
) -> None:
    user, other = await new_user(), await new_user()
    statuses = []
    for n in range(6):
        answer = await two_instances[n % 2].get("/api/workspaces", headers=user.headers)
        statuses.append(answer.status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert answer.json()["type"].endswith("/too-many-requests")
    assert 1 <= int(answer.headers["Retry-After"]) <= 3600
    unaffected = await two_instances[0].get("/api/workspaces", headers=other.headers)
    assert unaffected.status_code == 200
    assert (await two_instances[1].get("/healthz")).status_code == 200
