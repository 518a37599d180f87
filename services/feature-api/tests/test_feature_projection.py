"""The core.events projection: membership, idempotence, out-of-order
events, the AI quota stop and its lifting — and the real topic end to end."""

import asyncio
import uuid
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.database import now
from feature_api.projection import apply_core_event
from feature_api.services.quota import period_of
from sendfx_shared.events.core import (
    SUBSCRIPTION_CHANGED,
    USAGE_THRESHOLD_CROSSED,
    WORKSPACE_CREATED,
    WORKSPACE_DELETED,
    WORKSPACE_MEMBER_ADDED,
    WORKSPACE_MEMBER_REMOVED,
    WORKSPACE_MEMBER_ROLE_CHANGED,
    SubscriptionChanged,
    UsageThresholdCrossed,
    WorkspaceChanged,
    WorkspaceMemberChanged,
)
from sendfx_shared.events.envelope import CloudEvent, new_event

Db = AsyncDatabase[dict[str, Any]]


def event(type: str, data: Any) -> CloudEvent[dict[str, Any]]:
    made = new_event(source="/sendfx/core-api", type=type, data=data.model_dump(mode="json"))
    return CloudEvent[dict[str, Any]].model_validate(made.model_dump())


def member(workspace_id: uuid.UUID, user_id: uuid.UUID, version: int, role: str = "member") -> Any:
    return WorkspaceMemberChanged(
        workspace_id=workspace_id,
        user_id=user_id,
        role=role,
        version=version,  # type: ignore[arg-type]
    )


async def _flows_status(http: httpx.AsyncClient, workspace_id: Any, actor: Any) -> int:
    response = await http.get(f"/api/workspaces/{workspace_id}/flows", headers=actor.headers)
    return response.status_code


async def test_member_events_open_and_close_the_workspace(
    http: httpx.AsyncClient, db: Db, workspace: Any, authorize: Any
) -> None:
    newcomer = authorize()
    assert await _flows_status(http, workspace.id, newcomer) == 404
    await apply_core_event(
        db, event(WORKSPACE_MEMBER_ADDED, member(workspace.id, newcomer.user_id, 1))
    )
    assert await _flows_status(http, workspace.id, newcomer) == 200
    await apply_core_event(
        db, event(WORKSPACE_MEMBER_REMOVED, member(workspace.id, newcomer.user_id, 2))
    )
    assert await _flows_status(http, workspace.id, newcomer) == 404


async def test_replayed_and_late_events_change_nothing(
    http: httpx.AsyncClient, db: Db, workspace: Any, authorize: Any
) -> None:
    user = authorize()
    added = event(WORKSPACE_MEMBER_ADDED, member(workspace.id, user.user_id, 1))
    promoted = event(WORKSPACE_MEMBER_ROLE_CHANGED, member(workspace.id, user.user_id, 2, "admin"))
    removed = event(WORKSPACE_MEMBER_REMOVED, member(workspace.id, user.user_id, 3))
    # delivered out of order, then all replayed
    for e in (removed, added, promoted, added, removed, promoted):
        await apply_core_event(db, e)
    assert await _flows_status(http, workspace.id, user) == 404
    assert not await apply_core_event(db, removed)  # the same (source, id) twice: no effect
    stored = await db["rm_members"].find_one({"_id": f"{workspace.id}:{user.user_id}"})
    assert stored is not None and stored["version"] == 3 and stored["active"] is False


async def test_a_deleted_workspace_stays_deleted(
    http: httpx.AsyncClient, db: Db, workspace: Any
) -> None:
    data = WorkspaceChanged(workspace_id=workspace.id, name="Acme", slug="acme", version=5)
    await apply_core_event(db, event(WORKSPACE_DELETED, data))
    late_create = WorkspaceChanged(workspace_id=workspace.id, name="Acme", slug="acme", version=1)
    await apply_core_event(db, event(WORKSPACE_CREATED, late_create))
    assert await _flows_status(http, workspace.id, workspace.owner) == 404


def _crossed(workspace: Any, percent: int, period: str, tier: str = "starter") -> Any:
    return UsageThresholdCrossed(
        workspace_id=workspace.id,
        period=period,
        threshold_percent=percent,  # type: ignore[arg-type]
        tokens_used=100_500,
        limit=100_000,
        tier_code=tier,
    )


async def _reply_status(http: httpx.AsyncClient, workspace: Any) -> httpx.Response:
    made = await http.post(
        f"/api/workspaces/{workspace.id}/conversations", json={}, headers=workspace.owner.headers
    )
    conversation_id = made.json()["id"]
    await http.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"content": "hello"},
        headers=workspace.owner.headers,
    )
    return await http.post(
        f"/api/conversations/{conversation_id}/ai-reply", headers=workspace.owner.headers
    )


async def test_quota_stop_until_the_tier_changes(
    http: httpx.AsyncClient, db: Db, workspace: Any
) -> None:
    this_period = period_of(now())
    await apply_core_event(db, event(USAGE_THRESHOLD_CROSSED, _crossed(workspace, 80, this_period)))
    assert (await _reply_status(http, workspace)).status_code == 201  # 80% only warns

    await apply_core_event(
        db, event(USAGE_THRESHOLD_CROSSED, _crossed(workspace, 100, this_period))
    )
    stopped = await _reply_status(http, workspace)
    assert stopped.status_code == 402
    assert stopped.headers["content-type"].startswith("application/problem+json")
    problem = stopped.json()
    assert problem["tier"] == "starter" and problem["limit"] == 100_000
    assert "starter" in problem["detail"] and "100000" in problem["detail"]
    chat = await http.post(
        f"/api/workspaces/{workspace.id}/assistant/chat",
        json={"messages": [{"role": "user", "content": "hi"}]},
        headers=workspace.owner.headers,
    )
    assert chat.status_code == 402

    upgrade = SubscriptionChanged(
        subscription_id=uuid.uuid4(),
        workspace_id=workspace.id,
        tier_code="pro",
        status="active",
        version=2,
    )
    await apply_core_event(db, event(SUBSCRIPTION_CHANGED, upgrade))
    assert (await _reply_status(http, workspace)).status_code == 201
    # a late 100% of the old tier does not stop the new one
    await apply_core_event(
        db, event(USAGE_THRESHOLD_CROSSED, _crossed(workspace, 100, this_period))
    )
    assert (await _reply_status(http, workspace)).status_code == 201


async def test_a_block_without_a_tier_holds_through_a_same_tier_renewal(
    http: httpx.AsyncClient, db: Db, workspace: Any
) -> None:
    crossed = _crossed(workspace, 100, period_of(now())).model_copy(update={"tier_code": None})
    await apply_core_event(db, event(USAGE_THRESHOLD_CROSSED, crossed))
    stopped = await _reply_status(http, workspace)
    assert stopped.status_code == 402 and stopped.json()["tier"] == "starter"
    renewal = SubscriptionChanged(
        subscription_id=uuid.uuid4(),
        workspace_id=workspace.id,
        tier_code="starter",
        status="active",
        cancel_at_period_end=True,
        version=2,
    )
    await apply_core_event(db, event(SUBSCRIPTION_CHANGED, renewal))
    assert (await _reply_status(http, workspace)).status_code == 402


async def test_quota_stop_ends_with_the_period(
    http: httpx.AsyncClient, db: Db, workspace: Any
) -> None:
    await apply_core_event(db, event(USAGE_THRESHOLD_CROSSED, _crossed(workspace, 100, "2020-01")))
    assert (await _reply_status(http, workspace)).status_code == 201


async def test_core_events_on_the_real_topic_reach_the_read_model(
    http: httpx.AsyncClient,
    feature_app: Any,
    feature_settings: Any,
    authorize: Any,
    read_topic: Any,
) -> None:
    owner = authorize()
    wid = uuid.uuid4()
    producer = AIOKafkaProducer(
        bootstrap_servers=feature_settings.kafka_bootstrap_servers, enable_idempotence=False
    )
    await producer.start()
    try:
        topic = feature_settings.topic("core.events")
        created = new_event(
            source="/sendfx/core-api",
            type=WORKSPACE_CREATED,
            data=WorkspaceChanged(
                workspace_id=wid, name="Live", slug="live", owner_id=owner.user_id, version=1
            ).model_dump(mode="json"),
        )
        await producer.send_and_wait(
            topic, created.to_json_bytes(), key=str(wid).encode(), headers=created.kafka_headers()
        )
        # and a message that is not an event at all: it goes to the DLQ
        await producer.send_and_wait(topic, b"not json", key=str(wid).encode())
    finally:
        await producer.stop()
    status = 404
    for _ in range(150):  # the consumer group's first join takes a few seconds on Tansu
        status = await _flows_status(http, wid, owner)
        if status == 200:
            break
        await asyncio.sleep(0.2)
    assert status == 200
    rejected = await read_topic("core.events.dlq", where=lambda e: e.get("original") == "not json")
    assert len(rejected) == 1 and rejected[0]["reason"].startswith("invalid event")
