"""The usage routes are admin routes: a token that core-api has since revoked
(deactivation, a role or password change, announced on core.events) stops
working here too."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from sendfx_dev.testing.polling import eventually
from sendfx_shared.consume import dispatch
from sendfx_shared.events.core import USER_CREATED, USER_UPDATED, UserChanged
from sendfx_shared.events.envelope import CloudEvent, new_event
from usage_ingestor.app import Ingestor
from usage_ingestor.token_holders import token_holder_handlers

from .support import bearer, create_workspace, http_client


def user_event(
    user: uuid.UUID, kind: str, *, active: bool, auth_version: int, at: datetime | None = None
) -> CloudEvent[UserChanged]:
    data = UserChanged(
        user_id=user,
        email=f"{user.hex[:8]}@example.com",
        name="u",
        role="admin",
        is_active=active,
        auth_version=auth_version,
    )
    return new_event(source="/sendfx/core-api", type=kind, data=data, time=at)


@pytest.fixture
async def client(ingestor: Ingestor) -> Any:
    async with http_client(ingestor) as served:
        yield served


async def test_a_deactivated_admin_is_refused_once_core_events_says_so(
    ingestor: Ingestor,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    client: httpx.AsyncClient,
) -> None:
    workspace = await create_workspace(pool)
    url = f"/api/admin/workspaces/{workspace}/usage"
    admin, other = uuid.uuid4(), uuid.uuid4()
    for event in (
        user_event(admin, USER_CREATED, active=True, auth_version=0),
        user_event(other, USER_CREATED, active=True, auth_version=0),
    ):
        await producer.send_and_wait(
            ingestor.core_topic, value=event.to_json_bytes(), key=str(admin).encode()
        )
    assert (await client.get(url, headers=bearer(ingestor, user_id=admin))).status_code == 200

    deactivated = user_event(admin, USER_UPDATED, active=False, auth_version=1)
    await producer.send_and_wait(
        ingestor.core_topic, value=deactivated.to_json_bytes(), key=str(admin).encode()
    )

    async def refused() -> bool:
        answer = await client.get(url, headers=bearer(ingestor, user_id=admin))
        return answer.status_code == 401

    await eventually(refused, within=10)
    # Another admin, and a user core-api never announced, still get in.
    assert (await client.get(url, headers=bearer(ingestor, user_id=other))).status_code == 200
    assert (await client.get(url, headers=bearer(ingestor))).status_code == 200


async def test_a_token_from_before_a_role_change_is_refused_and_a_new_one_works(
    pool: asyncpg.Pool, ingestor: Ingestor, client: httpx.AsyncClient
) -> None:
    user = uuid.uuid4()
    now = datetime.now(UTC)
    handlers = token_holder_handlers(pool)
    changed = user_event(user, USER_UPDATED, active=True, auth_version=2, at=now)
    older = user_event(user, USER_CREATED, active=True, auth_version=0, at=now - timedelta(1))
    as_dicts = [
        CloudEvent[dict[str, Any]].model_validate_json(e.to_json_bytes()) for e in (changed, older)
    ]
    assert await dispatch(handlers, as_dicts[0])
    assert not await dispatch(handlers, as_dicts[1])  # older: never moves it back
    workspace = await create_workspace(pool)
    url = f"/api/admin/workspaces/{workspace}/usage"
    stale = await client.get(url, headers=bearer(ingestor, user_id=user, version=1))
    assert stale.status_code == 401
    fresh = await client.get(url, headers=bearer(ingestor, user_id=user, version=2))
    assert fresh.status_code == 200
