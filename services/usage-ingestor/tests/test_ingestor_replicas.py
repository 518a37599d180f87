"""Two real ``usage-ingestor`` processes in one consumer group: they split the
topic's partitions, and SIGKILLs of either, mid-stream, still give exact counts."""

import signal
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from sendfx_dev.ports import free_port
from sendfx_dev.testing.infra import TestInfra
from sendfx_dev.testing.polling import eventually
from sendfx_shared.topics import OPENAI_CALL_COMPLETED

from .support import publish, usage_event
from .support.process import (
    a_stream,
    all_stored,
    assert_metered_once,
    health,
    instance_env,
    start_console_script,
    stored,
)

Counts = Callable[[uuid.UUID], Awaitable[dict[str, Any]]]


async def _partitions(port: int) -> list[int]:
    body = await health(port)
    return list(body.get("partitions", [])) if body else []


@pytest.mark.slow
async def test_two_ingestors_split_the_partitions_and_survive_sigkills(
    sendfx_infra: TestInfra,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    usage_counts: Counts,
    tmp_path: Path,
) -> None:
    prefix = f"{sendfx_infra.topic_prefix}ingest.replicas."
    topic = f"{prefix}{OPENAI_CALL_COMPLETED}"
    group = f"usage-ingestor-replicas-{uuid.uuid4().hex[:6]}"
    ports = [free_port(), free_port()]

    def env(port: int) -> dict[str, str]:
        return instance_env(sendfx_infra, prefix, port, group)

    per_workspace = 1000
    workspaces, events = await a_stream(pool, 9, per_workspace)
    logs = [tmp_path / "ingestor-1.log", tmp_path / "ingestor-2.log"]
    processes: list[subprocess.Popen[bytes]] = [
        start_console_script(env(port), log) for port, log in zip(ports, logs, strict=True)
    ]

    async def split() -> bool:
        first, second = await _partitions(ports[0]), await _partitions(ports[1])
        return bool(first) and bool(second) and sorted(first + second) == [0, 1, 2]

    try:
        # the group gives each member a share, together the whole topic
        await eventually(split, within=90)
        await publish(producer, topic, events + events[::3])
        # killed as soon as the first batches are written
        await eventually(lambda: _between(pool, workspaces, 1, 10**9), interval=0.02)
        processes[0].send_signal(signal.SIGKILL)
        processes[0].wait(timeout=30)
        # the survivor takes the killed member's partitions over
        await eventually(lambda: _holds(ports[1], [0, 1, 2]), within=60)
        processes[0] = start_console_script(env(ports[0]), logs[0])
        await eventually(split, within=90)  # the restarted member has its share again
        await publish(producer, topic, events[::5])
        processes[1].send_signal(signal.SIGKILL)
        processes[1].wait(timeout=30)

        sentinels = [usage_event(w, prompt=0, cached=0, completion=0) for w in workspaces]
        await publish(producer, topic, events[::7] + sentinels)
        processes[1] = start_console_script(env(ports[1]), logs[1])
        await eventually(lambda: all_stored(pool, [s.id for s in sentinels]), within=120)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    await assert_metered_once(usage_counts, workspaces, per_workspace)


async def _between(pool: asyncpg.Pool, workspaces: list[uuid.UUID], low: int, high: int) -> bool:
    return low <= await stored(pool, workspaces) < high


async def _holds(port: int, partitions: list[int]) -> bool:
    return await _partitions(port) == partitions
