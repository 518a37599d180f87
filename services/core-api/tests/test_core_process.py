"""core-api as a real process: it refuses the other store's URL, migrates an
empty database before serving, and a SIGKILL between commit and publish loses
no event (at-least-once: a repeat carries the same id)."""

import asyncio
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest

from core_api.migrations import CORE_API_MIGRATIONS
from sendfx_shared.postgres import connect
from sendfx_shared.topics import CORE_EVENTS


def test_core_api_refuses_to_start_with_a_mongo_url() -> None:
    env = {**os.environ, "MONGO_URL": "mongodb://127.0.0.1:1/x", "CORE_API_PORT": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "core_api.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "core-api owns postgres data only" in result.stderr
    assert "unset MONGO_URL" in result.stderr


async def test_migrations_from_empty_create_the_whole_schema(fresh_database: str) -> None:
    conn = await connect(fresh_database)
    try:
        applied = [
            r["version"]
            for r in await conn.fetch(
                "SELECT version FROM core.core_api_schema_history ORDER BY version"
            )
        ]
        columns = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'core' AND table_name = 'outbox'"
            )
        }
    finally:
        await conn.close()
    assert applied == [m.version for m in CORE_API_MIGRATIONS.migrations()]
    assert "0002_outbox_sent_and_list_indexes" in applied
    assert {"topic", "message_key", "event_type", "event", "sent_at"} <= columns


async def test_core_api_migrates_an_empty_database_before_serving(
    empty_database: str, spawn_core: Any
) -> None:
    server = spawn_core(empty_database)
    await asyncio.to_thread(server.start)  # healthy only once the pool is up
    conn = await connect(empty_database)
    try:
        applied = await conn.fetchval("SELECT count(*) FROM core.core_api_schema_history")
        admins = await conn.fetchval("SELECT count(*) FROM core.users WHERE role = 'admin'")
        owners = await conn.fetch(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'core'"
        )
    finally:
        await conn.close()
    assert applied == len(CORE_API_MIGRATIONS.migrations())
    assert admins == 1
    # it migrated only its own tables, as its own role
    assert [r["tableowner"] for r in owners] == ["sendfx_core_api"]
    async with httpx.AsyncClient(base_url=server.url) as client:
        login = await client.post(
            "/api/auth/login", json={"email": "admin@sendfx.ai", "password": "sendfx-admin"}
        )
    assert login.status_code == 200


def test_the_process_serves_health_and_openapi(core_server: Any) -> None:
    health = httpx.get(f"{core_server.url}/healthz", timeout=10)
    assert health.json() == {"status": "ok", "database": "ok"}
    document = httpx.get(f"{core_server.url}/openapi.json", timeout=10).json()
    assert "/api/admin/workspaces/{workspace_id}/usage-counters" in document["paths"]
    # The usage summary is usage-ingestor's (it owns the rollups).
    assert "/api/admin/workspaces/{workspace_id}/usage" not in document["paths"]
    assert health.headers["x-request-id"]


async def _create_workspaces_until_killed(
    url: str, token: str, created: list[str], enough: asyncio.Event
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as client:
        while True:
            try:
                response = await client.post("/api/workspaces", json={"name": "Load"})
            except httpx.HTTPError:
                return  # the process is gone
            assert response.status_code == 201, response.text
            created.append(response.json()["id"])
            if len(created) >= 60:
                enough.set()


@pytest.mark.slow
async def test_sigkill_between_commit_and_publish_loses_no_event(
    fresh_database: str, kafka_bootstrap_servers: str, spawn_core: Any, topic_tools: Any
) -> None:
    prefix = f"kill{uuid.uuid4().hex[:8]}."
    topic = prefix + CORE_EVENTS
    await topic_tools.ensure_topic(kafka_bootstrap_servers, topic)
    env = {"KAFKA_TOPIC_PREFIX": prefix, "ADMIN_PASSWORD": "kill-test-admin"}
    first = spawn_core(fresh_database, **env)
    await asyncio.to_thread(first.start)
    async with httpx.AsyncClient(base_url=first.url) as client:
        login = await client.post(
            "/api/auth/login", json={"email": "admin@sendfx.ai", "password": "kill-test-admin"}
        )
    token = login.json()["access_token"]

    created: list[str] = []
    enough = asyncio.Event()
    workers = [
        asyncio.create_task(_create_workspaces_until_killed(first.url, token, created, enough))
        for _ in range(4)
    ]
    await enough.wait()
    await asyncio.to_thread(first.kill)  # SIGKILL, mid-load
    await asyncio.gather(*workers)
    conn = await connect(fresh_database)
    try:
        unsent_at_kill = await conn.fetchval(
            "SELECT count(*) FROM core.outbox WHERE sent_at IS NULL"
        )
    finally:
        await conn.close()
    print(f"rows committed but not yet marked sent when killed: {unsent_at_kill}")

    second = spawn_core(fresh_database, **env)
    await asyncio.to_thread(second.start)
    async with httpx.AsyncClient(base_url=second.url) as client:
        for _ in range(5):
            response = await client.post(
                "/api/workspaces",
                json={"name": "After"},
                headers={"Authorization": f"Bearer {token}"},
            )
            created.append(response.json()["id"])

    conn = await connect(fresh_database)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while await conn.fetchval("SELECT count(*) FROM core.outbox WHERE sent_at IS NULL"):
            assert loop.time() < deadline, "the restarted relay did not drain the outbox"
            await asyncio.sleep(0.1)
        committed_events = {
            r["id"] for r in await conn.fetch("SELECT event->>'id' AS id FROM core.outbox")
        }
        committed_workspaces = {
            str(r["id"]) for r in await conn.fetch("SELECT id FROM core.workspaces")
        }
    finally:
        await conn.close()

    log = await topic_tools.read_until(
        kafka_bootstrap_servers,
        topic,
        lambda log: committed_events <= {e["id"] for e in log.events()},
    )
    seen = {e["id"] for e in log.events()}
    assert committed_events <= seen, f"{len(committed_events - seen)} events lost"
    announced = {e["data"]["workspace_id"] for e in log.of_type("workspace.created")}
    # Every acknowledged workspace, and every committed one, was announced.
    assert set(created) <= committed_workspaces <= announced
    by_id: dict[str, Any] = {}
    for event in log.events():
        assert by_id.setdefault(event["id"], event) == event
