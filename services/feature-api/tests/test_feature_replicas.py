"""Two real feature-api processes on one database, each with a core.events
projection group of its own: whichever instance a request reaches, a
workspace or membership announced a moment before is already in force there,
and the shared read model ends consistent."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from sendfx_dev.ports import free_port
from sendfx_dev.testing.polling import eventually
from sendfx_dev.testing.topics import ensure_topic
from sendfx_shared.events.core import (
    WORKSPACE_CREATED,
    WORKSPACE_MEMBER_ADDED,
    WORKSPACE_MEMBER_REMOVED,
    WorkspaceChanged,
    WorkspaceMemberChanged,
)
from sendfx_shared.events.envelope import CloudEvent, new_event
from sendfx_shared.keys import SigningKeys
from sendfx_shared.topics import CORE_EVENTS

SCRIPT = Path(sys.executable).parent / "feature-api"


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [str(SCRIPT)], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


async def _ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{url}/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


async def _send(
    producer: AIOKafkaProducer, topic: str, key: uuid.UUID, type: str, data: Any
) -> None:
    made: CloudEvent[Any] = new_event(
        source="/sendfx/core-api", type=type, data=data.model_dump(mode="json")
    )
    await producer.send_and_wait(
        topic, made.to_json_bytes(), key=str(key).encode(), headers=made.kafka_headers()
    )


def _member(workspace: uuid.UUID, user: uuid.UUID, version: int) -> WorkspaceMemberChanged:
    return WorkspaceMemberChanged(
        workspace_id=workspace,
        user_id=user,
        role="member",
        version=version,  # type: ignore[arg-type]
    )


@pytest.mark.slow
async def test_every_instance_serves_what_core_announced_a_moment_before(
    sendfx_infra: Any,
    fake_openai: Any,
    kafka_bootstrap_servers: str,
    authorize: Any,
    token_keys: SigningKeys,
    db: AsyncDatabase[dict[str, Any]],
    tmp_path: Path,
) -> None:
    prefix = f"{sendfx_infra.topic_prefix}replicas."
    topic = f"{prefix}{CORE_EVENTS}"
    await ensure_topic(kafka_bootstrap_servers, topic)
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    processes = [
        _start(
            {
                **{
                    k: v for k, v in os.environ.items() if k not in ("POSTGRES_URL", "DATABASE_URL")
                },
                **sendfx_infra.service_env("feature-api"),
                "KAFKA_TOPIC_PREFIX": prefix,
                "FEATURE_API_PORT": str(port),
                "FEATURE_API_INSTANCE": str(number),
                "FEATURE_API_PROJECTION_GROUP": f"{prefix}feature-api",
                "OPENAI_BASE_URL": fake_openai.base_url,
                "OPENAI_API_KEY": "sk-test",
                # The tests' signing key stands in for core-api's (no core-api here).
                "JWT_JWKS": json.dumps(token_keys.jwks()),
            },
            tmp_path / f"feature-api-{number}.log",
        )
        for number, port in enumerate(ports, start=1)
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        for url in urls:
            await eventually(lambda url=url: _ready(url), within=90)
        async with httpx.AsyncClient(timeout=10) as client:

            async def status(n: int, workspace: uuid.UUID, actor: Any) -> int:
                url = f"{urls[n % 2]}/api/workspaces/{workspace}/flows"
                return (await client.get(url, headers=actor.headers)).status_code

            workspaces = []
            for n in range(12):  # keys over every partition, requests on both instances
                owner, member = authorize(), authorize()
                wid = uuid.uuid4()
                workspaces.append((wid, member))
                created = WorkspaceChanged(
                    workspace_id=wid, name="R", slug=f"r{n}", owner_id=owner.user_id, version=1
                )
                await _send(producer, topic, wid, WORKSPACE_CREATED, created)
                assert await status(n, wid, owner) == 200
                added = _member(wid, member.user_id, 1)
                await _send(producer, topic, wid, WORKSPACE_MEMBER_ADDED, added)
                assert await status(n + 1, wid, member) == 200
            for n, (wid, member) in enumerate(workspaces):
                removed = _member(wid, member.user_id, 2)
                await _send(producer, topic, wid, WORKSPACE_MEMBER_REMOVED, removed)
                # access ends at once, on the other instance as on this one
                assert await status(n, wid, member) == 404
                assert await status(n + 1, wid, member) == 404
    finally:
        await producer.stop()
        for process in processes:
            process.send_signal(signal.SIGTERM)
        await asyncio.gather(*(asyncio.to_thread(p.wait, 30) for p in processes))

    # both projections applied every event to the one read model; it ends as
    # the last event of each key says
    for wid, member in workspaces:
        stored = await db["rm_members"].find_one({"_id": f"{wid}:{member.user_id}"})
        assert stored is not None and stored["version"] == 2 and stored["active"] is False
