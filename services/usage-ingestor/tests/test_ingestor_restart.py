"""Redelivery across consumer restarts: the in-process one and a SIGKILL of the
real ``usage-ingestor`` console script mid-stream."""

import asyncio
import os
import signal
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from sendfx_dev.ports import free_port
from sendfx_dev.testing.infra import TestInfra
from sendfx_dev.testing.polling import eventually
from sendfx_dev.testing.proxy import TcpProxy, host_port
from sendfx_shared.topics import OPENAI_CALL_COMPLETED
from usage_ingestor.app import running
from usage_ingestor.settings import IngestorSettings

from .support import create_workspace, publish, usage_event
from .support.process import (
    CONSOLE_SCRIPT,
    a_stream,
    all_stored,
    assert_metered_once,
    instance_env,
    start_console_script,
    stored,
)

Counts = Callable[[uuid.UUID], Awaitable[dict[str, Any]]]


async def test_events_redelivered_after_a_restart_are_metered_once(
    ingestor_settings: IngestorSettings,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    usage_counts: Counts,
) -> None:
    settings = ingestor_settings.model_copy(
        update={
            "kafka_topic_prefix": f"{ingestor_settings.kafka_topic_prefix}restart.",
            "group_id": f"usage-ingestor-restart-{uuid.uuid4().hex[:6]}",
        }
    )
    workspace = await create_workspace(pool)
    events = [usage_event(workspace) for _ in range(10)]

    async with running(settings) as first:
        await publish(producer, first.topic, events[:6])
        await eventually(lambda: _stored_is(pool, workspace, 6))
    # Published while no consumer runs, some of them already metered before.
    await publish(producer, first.topic, events[3:])
    async with running(settings):
        await eventually(lambda: _stored_is(pool, workspace, 10))
        counts = await usage_counts(workspace)

    assert counts["rows"] == counts["calls"] == counts["ai_calls"] == 10
    assert counts["ai_tokens"] == 10 * 1500


async def _stored_is(pool: asyncpg.Pool, workspace: uuid.UUID, expected: int) -> bool:
    return await stored(pool, [workspace]) >= expected


def test_the_console_script_refuses_a_mongo_url(sendfx_infra: TestInfra) -> None:
    env = {
        **os.environ,
        **sendfx_infra.service_env("usage-ingestor"),
        "MONGO_URL": "mongodb://127.0.0.1:27017/x",
    }
    result = subprocess.run(
        [str(CONSOLE_SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "usage-ingestor owns postgres data only" in result.stderr
    assert "MONGO_URL" in result.stderr


@pytest.mark.slow
async def test_sigkill_mid_stream_then_restart_gives_exact_counts(
    sendfx_infra: TestInfra,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    usage_counts: Counts,
    tmp_path: Path,
) -> None:
    prefix = f"{sendfx_infra.topic_prefix}ingest.kill."
    topic = f"{prefix}{OPENAI_CALL_COMPLETED}"
    port = free_port()
    env = instance_env(sendfx_infra, prefix, port, f"usage-ingestor-kill-{uuid.uuid4().hex[:6]}")
    per_workspace = 1500
    workspaces, events = await a_stream(pool, 8, per_workspace)
    log = tmp_path / "ingestor.log"

    process = start_console_script(env, log)
    try:
        async with httpx.AsyncClient() as client:

            async def healthy() -> bool:
                try:
                    response = await client.get(f"http://127.0.0.1:{port}/healthz")
                except httpx.HTTPError:
                    return False
                return response.status_code == 200

            await eventually(healthy)
            openapi = (await client.get(f"http://127.0.0.1:{port}/openapi.json")).json()
            assert "/healthz" in openapi["paths"]
        # Every event twice: duplicates land in the same and in later batches.
        await publish(producer, topic, events + events[::3])
        await eventually(lambda: _stored_between(pool, workspaces, 1, len(events)), interval=0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        metered_before_restart = await stored(pool, workspaces)
        assert 0 < metered_before_restart < len(events), log.read_text()[-2000:]

        # Redelivered after the restart, then one sentinel per workspace (same
        # partition as its events, so stored last).
        sentinels = [usage_event(w, prompt=0, cached=0, completion=0) for w in workspaces]
        await publish(producer, topic, events[::7] + sentinels)
        process = start_console_script(env, log)
        await eventually(lambda: all_stored(pool, [s.id for s in sentinels]), within=120)
        process.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal once shut down, so -SIGTERM is a clean stop too.
        assert process.wait(timeout=60) in (0, -signal.SIGTERM)
        assert "shut down gracefully" in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    await assert_metered_once(usage_counts, workspaces, per_workspace)


async def _stored_between(
    pool: asyncpg.Pool, workspaces: list[uuid.UUID], low: int, high: int
) -> bool:
    return low <= await stored(pool, workspaces) < high


@pytest.mark.slow
async def test_sigterm_during_a_database_outage_stops_promptly_and_loses_nothing(
    sendfx_infra: TestInfra,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    usage_counts: Counts,
    tmp_path: Path,
) -> None:
    proxy = TcpProxy(*host_port(sendfx_infra.postgres_url))
    await proxy.start()
    host, db_port = host_port(sendfx_infra.postgres_url)
    prefix = f"{sendfx_infra.topic_prefix}ingest.term."
    port = free_port()
    env = {
        **sendfx_infra.service_env("usage-ingestor"),
        "POSTGRES_URL": sendfx_infra.postgres_url_for("usage-ingestor").replace(
            f"{host}:{db_port}", f"127.0.0.1:{proxy.port}", 1
        ),
        "KAFKA_TOPIC_PREFIX": prefix,
        "USAGE_INGESTOR_PORT": str(port),
        "USAGE_INGESTOR_GROUP_ID": f"usage-ingestor-term-{uuid.uuid4().hex[:6]}",
        "USAGE_INGESTOR_SESSION_TIMEOUT_MS": "3000",
        "USAGE_INGESTOR_SHUTDOWN_GRACE_SECONDS": "2",
        "USAGE_INGESTOR_RETRY_MAX_SECONDS": "0.5",
    }
    workspace = await create_workspace(pool)
    events = [usage_event(workspace) for _ in range(30)]
    log = tmp_path / "ingestor.log"
    process = start_console_script(env, log)
    try:
        async with httpx.AsyncClient() as client:

            async def status() -> int:
                try:
                    return (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code
                except httpx.HTTPError:
                    return 0

            await eventually(lambda: _is(status, 200))
            proxy.cut()
            await publish(producer, f"{prefix}{OPENAI_CALL_COMPLETED}", events)
            await eventually(lambda: _is(status, 503))  # paused, retrying
        process.send_signal(signal.SIGTERM)
        # Waited for off the event loop, which also runs the proxy.
        code = await asyncio.to_thread(process.wait, 60)
        assert code in (0, -signal.SIGTERM), log.read_text()[-2000:]
        assert await stored(pool, [workspace]) == 0

        proxy.restore()
        process = start_console_script(env, log)
        await eventually(lambda: _stored_is(pool, workspace, len(events)), within=120)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(process.wait, 60)
        await proxy.stop()

    counts = await usage_counts(workspace)
    assert counts["rows"] == counts["ai_calls"] == len(events)


async def _is(probe: Callable[[], Awaitable[int]], expected: int) -> bool:
    return await probe() == expected
