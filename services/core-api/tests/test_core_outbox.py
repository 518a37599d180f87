"""The outbox relay against real PostgreSQL and a real broker: per-key order,
a broker outage (the connection cut by a proxy), a row that keeps failing,
and the LISTEN/NOTIFY wake-up."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from core_api.events import CORE_API_OUTBOX
from sendfx_dev.databases import role_url
from sendfx_dev.ownership import CORE_API
from sendfx_shared.events.envelope import new_event
from sendfx_shared.outbox.postgres import OutboxRelay, RelayConfig, enqueue
from sendfx_shared.postgres import create_pool
from sendfx_shared.settings import KafkaSettings
from sendfx_shared.topics import CORE_EVENTS


@pytest.fixture
async def pool(fresh_database: str) -> AsyncIterator[asyncpg.Pool]:
    # as core-api itself: its own outbox, with its own role's rights
    p = await create_pool(role_url(fresh_database, CORE_API), min_size=1, max_size=4)
    try:
        yield p
    finally:
        await p.close()


@pytest.fixture
async def own_topic(kafka_bootstrap_servers: str, topic_tools: Any) -> tuple[str, str]:
    """A topic prefix of this test's own, and its core.events topic, created."""
    prefix = f"ob{uuid.uuid4().hex[:8]}."
    await topic_tools.ensure_topic(kafka_bootstrap_servers, prefix + CORE_EVENTS)
    return prefix, prefix + CORE_EVENTS


def relay_for(
    pool: asyncpg.Pool, url: str, bootstrap: str, prefix: str, **config: Any
) -> OutboxRelay:
    options: dict[str, Any] = {
        "poll_interval": 0.2,
        "backoff_base": 0.05,
        "outage_backoff_max": 0.5,
        "producer_overrides": {"request_timeout_ms": 1500, "retry_backoff_ms": 50},
    }
    options.update(config)
    return OutboxRelay(
        CORE_API_OUTBOX,
        pool,
        role_url(url, CORE_API),
        KafkaSettings(kafka_bootstrap_servers=bootstrap, kafka_topic_prefix=prefix),
        RelayConfig(**options),
    )


async def write(pool: asyncpg.Pool, key: str, n: int, *, size: int = 0) -> list[str]:
    """``n`` events for ``key``, one transaction each; their CloudEvent ids."""
    ids = []
    for i in range(n):
        event = new_event(
            source="/sendfx/core-api",
            type="test.happened",
            data={"key": key, "n": i, "pad": "x" * size},
        )
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, CORE_API_OUTBOX, topic=CORE_EVENTS, key=key, event=event)
        ids.append(event.id)
    return ids


async def wait_until(check: Any, within: float = 60) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


def first_seen_order(log: Any, key: str) -> list[str]:
    order: list[str] = []
    for k, event in log.messages:
        if k == key and event["id"] not in order:
            order.append(event["id"])
    return order


async def test_every_row_is_published_in_order_per_key_and_marked_sent(
    pool: asyncpg.Pool,
    fresh_database: str,
    kafka_bootstrap_servers: str,
    topic_tools: Any,
    own_topic: Any,
) -> None:
    prefix, topic = own_topic
    keys = [str(uuid.uuid4()) for _ in range(3)]
    written = {key: await write(pool, key, 10) for key in keys}
    relay = relay_for(pool, fresh_database, kafka_bootstrap_servers, prefix)
    await relay.start()
    try:
        log = await topic_tools.read_until(
            kafka_bootstrap_servers, topic, lambda log: len(log.messages) >= 30
        )
        assert await wait_until(
            lambda: pool.fetchval("SELECT count(*) = 0 FROM core.outbox WHERE sent_at IS NULL")
        )
    finally:
        await relay.stop()
    for key in keys:
        assert first_seen_order(log, key) == written[key]
    assert all(e["type"] == "test.happened" for e in log.events())


async def test_a_broker_outage_loses_and_reorders_nothing(
    pool: asyncpg.Pool, fresh_database: str, proxied_broker: Any, topic_tools: Any
) -> None:
    bootstrap, proxy = proxied_broker.bootstrap, proxied_broker.proxy
    prefix = "cut."
    topic = prefix + CORE_EVENTS
    await topic_tools.ensure_topic(bootstrap, topic)
    keys = [str(uuid.uuid4()) for _ in range(3)]
    relay = relay_for(pool, fresh_database, bootstrap, prefix)
    await relay.start()
    try:
        before = {key: await write(pool, key, 5) for key in keys}
        assert await wait_until(
            lambda: pool.fetchval("SELECT count(*) = 0 FROM core.outbox WHERE sent_at IS NULL")
        )
        proxy.cut()
        during = {key: await write(pool, key, 10) for key in keys}
        outages = relay.outages_total
        assert await wait_until(lambda: _true_after(relay.outages_total >= outages + 2))
        # Still there, unsent, and not counted against the rows.
        pending = await pool.fetch(
            "SELECT attempts FROM core.outbox WHERE sent_at IS NULL ORDER BY id"
        )
        assert len(pending) == 30 and all(r["attempts"] == 0 for r in pending)
        assert await pool.fetchval("SELECT count(*) FROM core.outbox_dead") == 0
        proxy.restore()
        assert await wait_until(
            lambda: pool.fetchval("SELECT count(*) = 0 FROM core.outbox WHERE sent_at IS NULL")
        )
        after = {key: await write(pool, key, 3) for key in keys}
        expected = {key: before[key] + during[key] + after[key] for key in keys}
        everything = {i for ids in expected.values() for i in ids}
        log = await topic_tools.read_until(
            bootstrap, topic, lambda log: everything <= {e["id"] for e in log.events()}
        )
    finally:
        await relay.stop()
    for key in keys:
        assert first_seen_order(log, key) == expected[key]
    # At-least-once: a repeat carries the same id and the same content.
    by_id: dict[str, dict[str, Any]] = {}
    for event in log.events():
        assert by_id.setdefault(event["id"], event) == event


async def _true_after(value: bool) -> bool:
    return value


async def test_a_row_that_keeps_failing_is_moved_aside_and_its_key_proceeds(
    pool: asyncpg.Pool,
    fresh_database: str,
    kafka_bootstrap_servers: str,
    topic_tools: Any,
    own_topic: Any,
) -> None:
    prefix, topic = own_topic
    key, other = str(uuid.uuid4()), str(uuid.uuid4())
    ok_before = await write(pool, key, 1)
    too_big = await write(pool, key, 1, size=2_000_000)  # over the producer's max request size
    ok_after = await write(pool, key, 2)
    unrelated = await write(pool, other, 2)
    relay = relay_for(pool, fresh_database, kafka_bootstrap_servers, prefix, max_attempts=3)
    await relay.start()
    try:
        wanted = set(ok_before + ok_after + unrelated)
        log = await topic_tools.read_until(
            kafka_bootstrap_servers, topic, lambda log: wanted <= {e["id"] for e in log.events()}
        )
        dead = await pool.fetch(
            "SELECT event->>'id' AS id, attempts, last_error FROM core.outbox_dead"
        )
    finally:
        await relay.stop()
    assert [r["id"] for r in dead] == too_big
    assert dead[0]["attempts"] == 3 and "MessageSizeTooLarge" in dead[0]["last_error"]
    # The rows after it on its key waited for it: order per key holds.
    assert first_seen_order(log, key) == ok_before + ok_after
    assert first_seen_order(log, other) == unrelated


async def test_notify_wakes_the_relay_long_before_its_poll_interval(
    pool: asyncpg.Pool,
    fresh_database: str,
    kafka_bootstrap_servers: str,
    topic_tools: Any,
    own_topic: Any,
) -> None:
    prefix, topic = own_topic
    relay = relay_for(pool, fresh_database, kafka_bootstrap_servers, prefix, poll_interval=600)
    await relay.start()
    try:
        await asyncio.sleep(0.5)  # the relay is idle, waiting on LISTEN
        ids = await write(pool, str(uuid.uuid4()), 1)
        # Only a NOTIFY can wake it before its 10-minute poll.
        log = await topic_tools.read_until(
            kafka_bootstrap_servers, topic, lambda log: len(log.messages) >= 1, within=30
        )
    finally:
        await relay.stop()
    assert [e["id"] for e in log.events()] == ids


async def test_two_relays_on_one_database_never_interleave_a_key(
    pool: asyncpg.Pool,
    fresh_database: str,
    kafka_bootstrap_servers: str,
    topic_tools: Any,
    own_topic: Any,
) -> None:
    prefix, topic = own_topic
    relays = [
        relay_for(pool, fresh_database, kafka_bootstrap_servers, prefix, batch_size=7)
        for _ in range(2)
    ]
    for relay in relays:
        await relay.start()
    try:
        keys = [str(uuid.uuid4()) for _ in range(4)]
        written: dict[str, list[str]] = {key: [] for key in keys}
        for _ in range(10):
            for key in keys:
                written[key] += await write(pool, key, 2)
        everything = {i for ids in written.values() for i in ids}
        log = await topic_tools.read_until(
            kafka_bootstrap_servers,
            topic,
            lambda log: everything <= {e["id"] for e in log.events()},
        )
    finally:
        for relay in relays:
            await relay.stop()
    for key in keys:
        assert first_seen_order(log, key) == written[key]
    assert sum(relay.published_total for relay in relays) >= len(everything)


async def test_sent_rows_are_purged_after_the_retention(
    pool: asyncpg.Pool,
    fresh_database: str,
    kafka_bootstrap_servers: str,
    topic_tools: Any,
    own_topic: Any,
) -> None:
    prefix, _ = own_topic
    relay = relay_for(
        pool,
        fresh_database,
        kafka_bootstrap_servers,
        prefix,
        retention=timedelta(0),
        purge_every=0.0,
    )
    await relay.start()
    try:
        await write(pool, str(uuid.uuid4()), 5)
        assert await wait_until(lambda: pool.fetchval("SELECT count(*) = 0 FROM core.outbox"))
    finally:
        await relay.stop()
