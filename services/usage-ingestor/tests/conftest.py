"""Fixtures of the usage-ingestor tests: real Postgres and Tansu from the plugin.

Topics get a prefix of their own under the session's (``<session>ingest.``)
so feature-api tests publishing usage in the same session never mix with
ours; every test uses fresh workspace ids, so tests share one database.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from sendfx_dev.testing.infra import TestInfra
from sendfx_dev.testing.proxy import TcpProxy, host_port
from sendfx_shared.postgres import create_pool
from usage_ingestor.app import Ingestor, running
from usage_ingestor.settings import IngestorSettings

from .support.http import TOKEN_JWKS


@pytest.fixture(scope="session")
def ingest_prefix(topic_prefix: str) -> str:
    return f"{topic_prefix}ingest."


@pytest.fixture(scope="session")
def ingestor_settings(sendfx_infra: TestInfra, ingest_prefix: str) -> IngestorSettings:
    return IngestorSettings(
        postgres_url=sendfx_infra.postgres_url_for("usage-ingestor"),
        kafka_bootstrap_servers=sendfx_infra.kafka_bootstrap_servers,
        kafka_topic_prefix=ingest_prefix,
        group_id=f"usage-ingestor-{uuid.uuid4().hex[:6]}",
        batch_timeout_ms=50,
        retry_initial_seconds=0.05,
        retry_max_seconds=0.5,
        session_timeout_ms=3000,
        statement_timeout_seconds=2.0,
        jwt_jwks=TOKEN_JWKS,
    )


@pytest.fixture(scope="session")
async def pool(postgres_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await create_pool(postgres_url, min_size=1, max_size=4)
    yield created
    await created.close()


@pytest.fixture(scope="session")
async def producer(kafka_bootstrap_servers: str) -> AsyncIterator[AIOKafkaProducer]:
    started = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap_servers, enable_idempotence=False, acks="all"
    )
    await started.start()
    yield started
    await started.stop()


@pytest.fixture(scope="session")
async def usage_counts(pool: asyncpg.Pool) -> Callable[[uuid.UUID], Awaitable[dict[str, Any]]]:
    async def counts(workspace_id: uuid.UUID) -> dict[str, Any]:
        async with pool.acquire() as conn:
            rows = await conn.fetchval(
                "SELECT count(*) FROM core.openai_usage WHERE workspace_id = $1", workspace_id
            )
            daily = await conn.fetchrow(
                "SELECT coalesce(sum(calls), 0) AS calls, coalesce(sum(total_tokens), 0) AS tokens,"
                " coalesce(sum(cost_usd), 0) AS cost, coalesce(sum(unpriced_calls), 0) AS unpriced,"
                " coalesce(sum(usage_missing_calls), 0) AS missing"
                " FROM core.usage_hourly WHERE workspace_id = $1",
                workspace_id,
            )
            counters = {
                r["metric"]: r["count"]
                for r in await conn.fetch(
                    "SELECT metric, sum(count) AS count FROM core.usage_counters"
                    " WHERE workspace_id = $1 GROUP BY metric",
                    workspace_id,
                )
            }
        assert daily is not None
        return {
            "rows": rows,
            "calls": daily["calls"],
            "tokens": daily["tokens"],
            "cost": daily["cost"],
            "unpriced": daily["unpriced"],
            "missing": daily["missing"],
            "ai_calls": counters.get("ai_calls", 0),
            "ai_tokens": counters.get("ai_tokens", 0),
        }

    return counts


@pytest.fixture(scope="session")
async def dlq_consumer(kafka_bootstrap_servers: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    yield consumer
    # At the session's end a fetch may still be in flight to a broker that is
    # shutting down: nothing a test asserted depends on this goodbye.
    with contextlib.suppress(asyncio.CancelledError, KafkaError):
        await consumer.stop()


# One ingestor per module that asks for it (a group join costs ~5 s on Tansu);
# it reaches PostgreSQL through a TCP proxy an outage test can cut.
@pytest.fixture(scope="module")
async def db_proxy(postgres_url: str) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(*host_port(postgres_url))
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture(scope="module")
async def ingestor(
    ingestor_settings: IngestorSettings, db_proxy: TcpProxy, postgres_url: str
) -> AsyncIterator[Ingestor]:
    own = ingestor_settings.postgres_url  # the ingestor's own role, not the admin
    host, port = host_port(own)
    proxied = own.replace(f"{host}:{port}", f"127.0.0.1:{db_proxy.port}", 1)
    settings = ingestor_settings.model_copy(update={"postgres_url": proxied})
    async with running(settings) as started:
        yield started
