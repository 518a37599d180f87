"""The real ``usage-ingestor`` console script as a subprocess, and what the
tests ask of the database about what it stored."""

import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from sendfx_dev.testing.infra import TestInfra
from sendfx_shared.events.envelope import CloudEvent

from .events import usage_event
from .workspaces import create_workspace

CONSOLE_SCRIPT = Path(sys.executable).parent / "usage-ingestor"


def start_console_script(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [str(CONSOLE_SCRIPT)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def health(port: int) -> dict[str, Any] | None:
    """The instance's ``/healthz`` body (200 or 503), None while it does not answer."""
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/healthz")
    except httpx.HTTPError:
        return None
    if response.headers.get("content-type") != "application/json":
        return None  # still starting
    body: dict[str, Any] = response.json()
    return body


async def stored(pool: asyncpg.Pool, workspaces: list[uuid.UUID]) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM core.openai_usage WHERE workspace_id = ANY($1::uuid[])",
            workspaces,
        )
    return count


async def all_stored(pool: asyncpg.Pool, event_ids: list[str]) -> bool:
    async with pool.acquire() as conn:
        found: int = await conn.fetchval(
            "SELECT count(*) FROM core.openai_usage WHERE event_id = ANY($1::text[])", event_ids
        )
    return found == len(event_ids)


def instance_env(infra: TestInfra, prefix: str, port: int, group: str) -> dict[str, str]:
    """A console-script instance on its own topics and port, in ``group``, with
    small batches (a kill lands between or inside many transactions) and a
    short session (the group notices a killed member soon)."""
    return {
        **infra.service_env("usage-ingestor"),
        "KAFKA_TOPIC_PREFIX": prefix,
        "USAGE_INGESTOR_PORT": str(port),
        "USAGE_INGESTOR_GROUP_ID": group,
        "USAGE_INGESTOR_BATCH_MAX_RECORDS": "200",
        "USAGE_INGESTOR_SESSION_TIMEOUT_MS": "3000",
    }


async def a_stream(
    pool: asyncpg.Pool, workspaces: int, per_workspace: int
) -> tuple[list[uuid.UUID], list[CloudEvent[Any]]]:
    """Workspaces with room in their quota, and ``per_workspace`` events each, interleaved."""
    ids = [await create_workspace(pool, ai_tokens_monthly=10**9) for _ in range(workspaces)]
    return ids, [usage_event(ids[i % workspaces]) for i in range(per_workspace * workspaces)]


async def assert_metered_once(
    usage_counts: Callable[[uuid.UUID], Awaitable[dict[str, Any]]],
    workspaces: list[uuid.UUID],
    per_workspace: int,
) -> None:
    """Each workspace's events, and its sentinel, counted exactly once."""
    for workspace in workspaces:
        counts = await usage_counts(workspace)
        assert counts["rows"] == counts["calls"] == counts["ai_calls"] == per_workspace + 1
        assert counts["tokens"] == counts["ai_tokens"] == per_workspace * 1500
