"""Tokens in feature-api: only core-api's keys and feature-api's audience are
accepted, and a user core-api deactivated (or whose role or password changed)
is refused within the read-your-writes wait, through the real topic."""

import asyncio
import time
import uuid
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import RM_USERS
from feature_api.projection import apply_core_event
from feature_api.settings import FeatureSettings
from sendfx_shared.auth import Principal, TokenIssuer
from sendfx_shared.events.core import USER_CREATED, USER_UPDATED, UserChanged
from sendfx_shared.events.envelope import CloudEvent, new_event
from sendfx_shared.keys import SigningKeys

Db = AsyncDatabase[dict[str, Any]]


def user_event(type: str, user_id: uuid.UUID, *, active: bool = True, version: int = 0) -> Any:
    data = UserChanged(
        user_id=user_id,
        email="u@example.com",
        name="U",
        role="user",
        is_active=active,
        auth_version=version,
    )
    return new_event(source="/sendfx/core-api", type=type, data=data.model_dump(mode="json"))


async def _status(http: httpx.AsyncClient, workspace: Any, headers: dict[str, str]) -> int:
    response = await http.get(f"/api/workspaces/{workspace.id}/flows", headers=headers)
    return response.status_code


async def test_a_deactivated_users_token_is_refused_within_two_seconds(
    http: httpx.AsyncClient, db: Db, workspace: Any, feature_settings: FeatureSettings
) -> None:
    owner = workspace.owner
    producer = AIOKafkaProducer(
        bootstrap_servers=feature_settings.kafka_bootstrap_servers, enable_idempotence=False
    )
    topic = feature_settings.topic("core.events")

    async def publish(event: Any) -> None:
        await producer.send_and_wait(
            topic,
            event.to_json_bytes(),
            key=str(owner.user_id).encode(),
            headers=event.kafka_headers(),
        )

    await producer.start()
    try:
        await publish(user_event(USER_CREATED, owner.user_id))
        for _ in range(150):  # the projection's first group join takes seconds on Tansu
            if await db[RM_USERS].find_one({"_id": str(owner.user_id)}):
                break
            await asyncio.sleep(0.2)
        assert await _status(http, workspace, owner.headers) == 200

        started = time.monotonic()
        await publish(user_event(USER_UPDATED, owner.user_id, active=False, version=1))
        status = await _status(http, workspace, owner.headers)
        while status == 200 and time.monotonic() - started < 5:
            await asyncio.sleep(0.1)
            status = await _status(http, workspace, owner.headers)
        took = time.monotonic() - started
    finally:
        await producer.stop()
    assert status == 401
    assert took < 2.0, f"refused only after {took:.2f}s"


async def test_a_token_older_than_the_users_auth_version_is_refused(
    http: httpx.AsyncClient, db: Db, workspace: Any, authorize: Any
) -> None:
    owner = workspace.owner
    # A role or password change in core-api: the auth version moves to 1.
    changed = user_event(USER_UPDATED, owner.user_id, version=1)
    await apply_core_event(db, CloudEvent[dict[str, Any]].model_validate(changed.model_dump()))
    assert await _status(http, workspace, owner.headers) == 401
    renewed = authorize(user_id=owner.user_id, version=1)
    assert await _status(http, workspace, renewed.headers) == 200


async def test_tokens_of_another_key_or_for_another_service_are_refused(
    http: httpx.AsyncClient, workspace: Any, feature_settings: FeatureSettings, token_keys: Any
) -> None:
    principal = Principal(user_id=workspace.owner.user_id, email="o@example.com", role="user")
    issuer = feature_settings.jwt_issuer
    for keys, audience in (
        (SigningKeys.generate(kid=token_keys.kid), "feature-api"),  # forged under the real kid
        (SigningKeys.development(), "feature-api"),  # not in this service's key set
        (token_keys, "core-api"),  # core-api's token, not feature-api's
    ):
        token, _ = TokenIssuer(keys, issuer, (audience,)).issue(principal)
        assert await _status(http, workspace, {"Authorization": f"Bearer {token}"}) == 401
