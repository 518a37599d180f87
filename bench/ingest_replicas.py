"""bench-ingest --replicas N: N real ``usage-ingestor`` processes in one
consumer group (imported by bench/ingest.py).

The processes start first and the group splits the topic's partitions
between them; then they are paused (SIGSTOP: the group keeps them, its
session timeout being longer than the pause), the stream is published, and
the clock runs from their SIGCONT to the last batch committed, as the
instances' own ``/healthz`` counters say: the publisher does not compete. Printed: the rate, which
partitions each instance holds, what each inserted.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from sendfx_dev.ports import free_port
from usage_ingestor.settings import IngestorSettings

SCRIPT = Path(sys.executable).parent / "usage-ingestor"
Rows = list[tuple[str, str]]
# Longer than the pause while 50k events are published here; a longer pause
# (--full on a busy machine) costs a rebalance inside the measured time. It
# must stay below the client's 40 s request timeout, or joining fails.
SESSION_TIMEOUT_MS = 30_000
# The bench's settings each instance gets (the bench database, its topics, …).
PASSED_ON = (
    "postgres_url",
    "kafka_bootstrap_servers",
    "kafka_topic_prefix",
    "group_id",
    "batch_max_records",
    "topic_partitions",
    "log_level",
)


def spawn(settings: IngestorSettings, port: int, log: Path) -> subprocess.Popen[bytes]:
    """An instance with the bench's settings, under the variables its settings class reads."""
    env = settings.environment(
        **{field: getattr(settings, field) for field in PASSED_ON},
        session_timeout_ms=SESSION_TIMEOUT_MS,
        port=port,
    )
    with open(log, "ab") as out:
        return subprocess.Popen(
            [str(SCRIPT)], env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )


async def healths(client: httpx.AsyncClient, ports: list[int]) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    for port in ports:
        try:
            response = await client.get(f"http://127.0.0.1:{port}/healthz")
            ok = response.headers.get("content-type") == "application/json"
            bodies.append(response.json() if ok else {})
        except httpx.HTTPError:
            bodies.append({})
    return bodies


def handled(body: dict[str, Any]) -> int:
    return int(body.get("inserted", 0) + body.get("duplicates", 0) + body.get("dead_lettered", 0))


async def run(
    settings: IngestorSettings,
    replicas: int,
    publish: Any,
    expected: int,
    state: Path,
) -> tuple[float, Rows]:
    """Ingest with ``replicas`` processes; ``publish()`` sends the stream once
    they hold the partitions between them. Returns the rate and table rows."""
    ports = [free_port() for _ in range(replicas)]
    processes = [spawn(settings, p, state / f"ingestor-{i + 1}.log") for i, p in enumerate(ports)]
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            split = False
            deadline = time.monotonic() + 120
            while not split:
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise SystemExit(f"the ingestors did not share the topic; logs in {state}")
                held = [b.get("partitions", []) for b in await healths(client, ports)]
                everything = sorted(p for share in held for p in share)
                wanted = min(replicas, settings.topic_partitions)
                split = everything == list(range(settings.topic_partitions)) and (
                    sum(1 for share in held if share) == wanted
                )
                await asyncio.sleep(0.2)
            for process in processes:
                process.send_signal(signal.SIGSTOP)
            published = time.perf_counter()
            await publish()
            published = time.perf_counter() - published
            started = time.perf_counter()
            for process in processes:
                process.send_signal(signal.SIGCONT)
            bodies = await healths(client, ports)
            while sum(handled(b) for b in bodies) < expected:
                await asyncio.sleep(0.02)
                bodies = await healths(client, ports)
            elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    rate = expected / elapsed
    rows: Rows = [(f"ingestors in one group ({settings.group_id})", f"{replicas}")]
    for number, body in enumerate(bodies, start=1):
        rows.append(
            (
                f"  instance {number}: partitions / inserted / duplicates",
                f"{body.get('partitions')} / {body.get('inserted')} / {body.get('duplicates')}",
            )
        )
    rows.append(("  publishing took (s), the ingestors paused", f"{published:.2f}"))
    rows.append((f"{replicas} ingestors into PostgreSQL (events/s)", f"{rate:,.0f}"))
    return rate, rows
