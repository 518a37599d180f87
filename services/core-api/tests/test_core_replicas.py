"""Two real core-api processes on one database, their outbox relays side by
side: one is SIGKILLed during writes, and still every write a client was told
succeeded has its event on the bus, each key's events in order."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from sendfx_shared.postgres import connect
from sendfx_shared.topics import CORE_EVENTS

Written = list[tuple[str, int]]  # (workspace id, the version the answer named)


async def _write_until_gone(url: str, token: str, written: Written, enough: asyncio.Event) -> None:
    """Create a workspace and rename it twice, again and again, until the
    process is gone; records every write acknowledged."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as client:
        while not enough.is_set() or len(written) < 400:
            try:
                created = await client.post("/api/workspaces", json={"name": "Load"})
                assert created.status_code == 201, created.text
                workspace = created.json()
                written.append((workspace["id"], workspace["version"]))
                for name in ("Renamed", "Renamed again"):
                    renamed = await client.patch(
                        f"/api/workspaces/{workspace['id']}", json={"name": name}
                    )
                    assert renamed.status_code == 200, renamed.text
                    written.append((workspace["id"], renamed.json()["version"]))
            except httpx.HTTPError:
                return  # the process is gone
            if len(written) >= 90:
                enough.set()


@pytest.mark.slow
async def test_a_killed_instance_loses_no_acknowledged_write_and_keeps_key_order(
    fresh_database: str, kafka_bootstrap_servers: str, spawn_core: Any, topic_tools: Any
) -> None:
    prefix = f"replicas{uuid.uuid4().hex[:8]}."
    topic = prefix + CORE_EVENTS
    await topic_tools.ensure_topic(kafka_bootstrap_servers, topic)
    env = {"KAFKA_TOPIC_PREFIX": prefix, "ADMIN_PASSWORD": "replicas-admin"}
    first, second = spawn_core(fresh_database, **env), spawn_core(fresh_database, **env)
    await asyncio.gather(asyncio.to_thread(first.start), asyncio.to_thread(second.start))
    async with httpx.AsyncClient(base_url=first.url) as client:
        login = await client.post(
            "/api/auth/login", json={"email": "admin@sendfx.ai", "password": "replicas-admin"}
        )
    token = login.json()["access_token"]

    written: Written = []
    enough = asyncio.Event()
    workers = [
        asyncio.create_task(_write_until_gone(server.url, token, written, enough))
        for server in (first, second, first, second)
    ]
    await enough.wait()
    await asyncio.to_thread(first.kill)  # SIGKILL, mid-load; second keeps writing
    await asyncio.gather(*workers)  # second's workers stop at 400 writes
    second.kill()

    conn = await connect(fresh_database)
    try:
        committed = {
            r["id"] for r in await conn.fetch("SELECT event->>'id' AS id FROM core.outbox")
        }
        unsent = await conn.fetchval("SELECT count(*) FROM core.outbox WHERE sent_at IS NULL")
    finally:
        await conn.close()
    # Both are gone: a third instance's relay publishes what was left unsent.
    third = spawn_core(fresh_database, **env)
    await asyncio.to_thread(third.start)
    log = await topic_tools.read_until(
        kafka_bootstrap_servers, topic, lambda log: committed <= {e["id"] for e in log.events()}
    )
    seen = {e["id"] for e in log.events()}
    assert committed <= seen, f"{len(committed - seen)} events lost ({unsent} unsent at the end)"

    versions: dict[str, list[int]] = {}
    first_seen: set[str] = set()
    for event in log.events():
        if event["type"].startswith("workspace.") and event["id"] not in first_seen:
            first_seen.add(event["id"])
            data = event["data"]
            versions.setdefault(data["workspace_id"], []).append(data["version"])
    for workspace, version in written:
        assert version in versions[workspace], f"acknowledged {workspace} v{version} unannounced"
    for workspace, announced in versions.items():
        assert announced == sorted(announced), f"{workspace}'s events out of order: {announced}"
