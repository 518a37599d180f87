"""Each workspace's quota comes from core.events; thresholds leave through the
ingestor's own outbox and relay (it may touch none of core-api's tables)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from sendfx_dev.testing.polling import eventually
from sendfx_dev.testing.topics import EventLog, read_until
from sendfx_shared.consume import dispatch
from sendfx_shared.events.core import (
    WORKSPACE_CREATED,
    WORKSPACE_UPDATED,
    TierLimits,
    WorkspaceChanged,
)
from sendfx_shared.events.envelope import CloudEvent, new_event
from usage_ingestor.app import Ingestor
from usage_ingestor.quotas import quota_handlers

from .support import publish, usage_event


def workspace_event(
    workspace: uuid.UUID, kind: str, version: int, limit: int | None, at: datetime | None = None
) -> CloudEvent[WorkspaceChanged]:
    data = WorkspaceChanged(
        workspace_id=workspace,
        name="w",
        slug=f"w-{workspace.hex[:8]}",
        tier_code=f"tier-{limit}",
        limits=TierLimits(ai_tokens_monthly=limit),
        version=version,
    )
    return new_event(source="/sendfx/core-api", type=kind, data=data, time=at)


async def quota_of(pool: asyncpg.Pool, workspace: uuid.UUID) -> Any:
    async with pool.acquire() as conn:
        return await conn.fetchrow(
            "SELECT tier_code, ai_tokens_monthly, version FROM core.usage_workspace_quotas"
            " WHERE workspace_id = $1",
            workspace,
        )


async def test_an_older_workspace_event_never_moves_the_quota_back(pool: asyncpg.Pool) -> None:
    workspace = uuid.uuid4()
    now = datetime.now(UTC)
    newer = workspace_event(workspace, WORKSPACE_UPDATED, 2, 2000, now)
    older = workspace_event(workspace, WORKSPACE_CREATED, 1, 5, now - timedelta(seconds=1))
    as_dicts = [
        CloudEvent[dict[str, Any]].model_validate_json(e.to_json_bytes()) for e in (newer, older)
    ]
    handlers = quota_handlers(pool)
    assert await dispatch(handlers, as_dicts[0])
    assert not await dispatch(handlers, as_dicts[1])
    assert not await dispatch(handlers, as_dicts[0])  # a redelivery
    row = await quota_of(pool, workspace)
    assert (row["ai_tokens_monthly"], row["version"]) == (2000, 2)


async def test_a_threshold_uses_the_limit_core_events_announced(
    ingestor: Ingestor,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    kafka_bootstrap_servers: str,
) -> None:
    workspace = uuid.uuid4()
    created = workspace_event(workspace, WORKSPACE_CREATED, 1, 1000)
    await producer.send_and_wait(
        ingestor.core_topic,
        value=created.to_json_bytes(),
        key=str(workspace).encode(),
        headers=created.kafka_headers(),
    )

    async def known() -> bool:
        return await quota_of(pool, workspace) is not None

    await eventually(known)
    # 1500 tokens against 1000: both thresholds, announced through the
    # ingestor's own outbox and relayed to core.events by the ingestor
    await publish(producer, ingestor.topic, [usage_event(workspace)])

    def announced(log: EventLog) -> list[dict[str, Any]]:
        return [
            event
            for event in log.events()
            if event.get("data", {}).get("workspace_id") == str(workspace)
            and event["type"] == "usage.threshold_crossed"
        ]

    log = await read_until(
        kafka_bootstrap_servers, ingestor.core_topic, lambda log: len(announced(log)) >= 2
    )
    seen = announced(log)
    assert sorted(e["data"]["threshold_percent"] for e in seen) == [80, 100]
    assert {e["data"]["limit"] for e in seen} == {1000}
    assert {e["data"]["tier_code"] for e in seen} == {"tier-1000"}
    assert {e["source"] for e in seen} == {"/sendfx/usage-ingestor"}
